// Package tools finds the Terraform and Packer binaries a step runs, with hc-install: an
// explicit path first, then the project's .tools/bin, then PATH, then (unless offline) a
// download of the pinned release from releases.hashicorp.com or a mirror, whose checksums
// and signature hc-install verifies.
package tools

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	install "github.com/hashicorp/hc-install"
	"github.com/hashicorp/hc-install/fs"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
	"github.com/hashicorp/hc-install/src"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// The pinned versions kiln downloads when no binary is found; the project's own bootstrap
// (scripts/tools.sh) builds the same versions.
const (
	TerraformVersion = "1.5.7"
	PackerVersion    = "1.9.4"
)

// Finder locates tool binaries.
type Finder struct {
	Getenv func(string) string
	Dir    string // the working directory; .tools/bin is looked for here and in its parents
	// ConfigDir is kiln.yaml's directory: .tools/bin is looked for there and in its parents
	// too (a step run from elsewhere with --config).
	ConfigDir string
}

// Terraform returns the path of the terraform binary. explicit, when set, must name one: a
// path (relative to Dir) or a name looked up in PATH.
func (f Finder) Terraform(ctx context.Context, explicit string) (string, error) {
	return f.find(ctx, product.Terraform, TerraformVersion, explicit)
}

// Packer returns the path of the packer binary; explicit is as for Terraform.
func (f Finder) Packer(ctx context.Context, explicit string) (string, error) {
	return f.find(ctx, product.Packer, PackerVersion, explicit)
}

func (f Finder) find(ctx context.Context, p product.Product, pinned, explicit string) (string, error) {
	name := p.BinaryName()
	if explicit != "" {
		path, err := f.explicit(explicit)
		if err != nil {
			return "", exitcode.New(exitcode.Usage, "%s binary %s: %v", p.Name, explicit, err)
		}
		return path, nil
	}
	var sources []src.Source
	for _, path := range f.candidates(name) {
		sources = append(sources, &fs.AnyVersion{ExactBinPath: path})
	}
	if !f.offline() {
		sources = append(sources, &releases.ExactVersion{
			Product:    p,
			Version:    version.Must(version.NewVersion(pinned)),
			InstallDir: f.cacheDir(p.Name, pinned),
			ApiBaseURL: f.Getenv("KILN_RELEASES_URL"),
		})
	}
	if len(sources) == 0 {
		return "", fmt.Errorf("%s not found in .tools/bin or PATH, and KILN_TOOLS_OFFLINE forbids a download", p.Name)
	}
	if len(sources) == 1 && !f.offline() { // only the download is left: fail fast without DNS
		if err := f.reachable(ctx); err != nil {
			return "", exitcode.New(exitcode.Usage, "%s %s is not in .tools/bin or PATH, and %v: %s", p.Name, pinned, err, howToPoint(p.Name))
		}
	}
	path, err := install.NewInstaller().Ensure(ctx, sources)
	if err != nil {
		return "", fmt.Errorf("find %s: %w (%s)", p.Name, err, howToPoint(p.Name))
	}
	return path, nil
}

// howToPoint says how to give kiln a binary without a download.
func howToPoint(name string) string {
	return fmt.Sprintf("point kiln at a binary with --%s or KILN_%s, put one in .tools/bin or PATH, or set KILN_RELEASES_URL to a mirror",
		name, strings.ToUpper(name))
}

// reachable looks up the releases host (KILN_RELEASES_URL's, or HashiCorp's) once, so that
// a machine without that network fails in one line instead of after minutes of retries.
func (f Finder) reachable(ctx context.Context) error {
	host := "releases.hashicorp.com"
	if u, err := url.Parse(f.Getenv("KILN_RELEASES_URL")); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return fmt.Errorf("the releases site %s cannot be reached (%v)", host, err)
	}
	return nil
}

// explicit resolves a binary named by a flag or variable: a bare name is looked up in PATH,
// a relative path is taken from the working directory (not from the directory the tool
// will run in).
func (f Finder) explicit(name string) (string, error) {
	if !strings.ContainsRune(name, filepath.Separator) {
		if found := f.inPath(name); len(found) > 0 {
			return found[0], nil
		}
		return "", fmt.Errorf("not found in PATH")
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(f.Dir, name)
	}
	return name, executable(name)
}

// offline reports whether KILN_TOOLS_OFFLINE forbids downloads.
func (f Finder) offline() bool {
	switch strings.ToLower(f.Getenv("KILN_TOOLS_OFFLINE")) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// candidates lists the existing binaries named name in .tools/bin (here or above) and PATH.
func (f Finder) candidates(name string) []string {
	var out []string
	for _, start := range []string{f.Dir, f.ConfigDir} {
		for dir := start; dir != ""; {
			p := filepath.Join(dir, ".tools", "bin", name)
			if executable(p) == nil {
				if !slices.Contains(out, p) {
					out = append(out, p)
				}
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return append(out, f.inPath(name)...)
}

var announced sync.Map // tool path -> true, once it was announced

// Announce writes, once per process and binary, which tool binary and version a step uses.
func Announce(log io.Writer, name, path, version string) {
	if _, seen := announced.LoadOrStore(path, true); seen || log == nil {
		return
	}
	fmt.Fprintf(log, "using %s %s (%s)\n", name, version, path)
}

// inPath lists the executables named name in PATH's directories. Relative directories
// (".", "") are skipped, as os/exec does: they depend on where kiln happens to run, and
// hc-install refuses relative paths.
func (f Finder) inPath(name string) []string {
	var out []string
	for _, dir := range filepath.SplitList(f.Getenv("PATH")) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); executable(p) == nil {
			out = append(out, p)
		}
	}
	return out
}

func (f Finder) cacheDir(product, v string) string {
	base := f.Getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(f.Getenv("HOME"), ".cache")
	}
	dir := filepath.Join(base, "kiln", "tools", product, v)
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

func executable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("not an executable file")
	}
	return nil
}

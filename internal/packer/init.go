package packer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Init runs `packer init` of the template unless it has nothing to do: a template without
// required_plugins needs no init, and one whose plugin requirements and installed plugins
// are what they were at the last successful init (a stamp in stampDir) needs none again.
// pluginDir is where Packer keeps plugins (PluginDir). It reports whether init ran.
func (r *Runner) Init(ctx context.Context, t Template, stampDir, pluginDir string) (bool, error) {
	reqs, err := requirements(t)
	if err != nil {
		return false, err
	}
	if len(reqs) == 0 {
		return false, nil
	}
	sum := initSum(r.Exec, reqs, pluginDir)
	stamp := filepath.Join(stampDir, "packer-init-"+sum[:16])
	if _, err := os.Stat(stamp); err == nil {
		return false, nil
	}
	end := r.phase("packer init")
	err = r.Run(ctx, t, InitArgs(t), nil)
	end(err)
	if err != nil {
		return true, err
	}
	// The plugins are installed now: stamp the listing that includes them.
	sum = initSum(r.Exec, reqs, pluginDir)
	if err := os.MkdirAll(stampDir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(stampDir, "packer-init-"+sum[:16]), nil, 0o644)
	}
	return true, nil
}

// PluginDir is where Packer looks for installed plugins: PACKER_PLUGIN_PATH, else
// PACKER_CONFIG_DIR/plugins, else $HOME/.config/packer/plugins.
func PluginDir(env map[string]string) string {
	switch {
	case env["PACKER_PLUGIN_PATH"] != "":
		return env["PACKER_PLUGIN_PATH"]
	case env["PACKER_CONFIG_DIR"] != "":
		return filepath.Join(env["PACKER_CONFIG_DIR"], "plugins")
	}
	return filepath.Join(env["HOME"], ".config", "packer", "plugins")
}

// requirements returns the content of the template's HCL files that declare
// required_plugins, by name.
func requirements(t Template) (map[string][]byte, error) {
	files := []string{t.Path}
	if st, err := os.Stat(t.Path); err == nil && st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(t.Path, "*.pkr.hcl"))
	}
	out := map[string][]byte{}
	for _, f := range files {
		if !strings.HasSuffix(f, ".pkr.hcl") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("packer template: %w", err)
		}
		if strings.Contains(string(data), "required_plugins") {
			out[filepath.Base(f)] = data
		}
	}
	return out, nil
}

// initSum hashes what makes an init necessary: the packer binary, the files that declare
// plugins, and the installed plugins (names, sizes, times).
func initSum(exe string, reqs map[string][]byte, pluginDir string) string {
	h := sha256.New()
	if st, err := os.Stat(exe); err == nil {
		fmt.Fprintf(h, "%s %d %d\n", exe, st.Size(), st.ModTime().UnixNano())
	}
	names := make([]string, 0, len(reqs))
	for n := range reqs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sum := sha256.Sum256(reqs[n])
		fmt.Fprintf(h, "%s %x\n", n, sum)
	}
	_ = filepath.WalkDir(pluginDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

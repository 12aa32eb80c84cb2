package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/step"
)

// offlineFlag makes kiln-validate download nothing.
var offlineFlag = step.Flag{Name: "offline", Env: "KILN_OFFLINE", Bool: true,
	Help: "download nothing: skip packer init, take Terraform providers from the local plugin directories only, and report what needs more as skipped"}

// terraformOffline checks a configuration without the network: fmt -check, then init with
// the providers of Terraform's implied local mirror directories only, then validate. When a
// provider is not installed, validate is reported as skipped, naming it.
func terraformOffline(ctx context.Context, r *step.Run, name, dir string) []result {
	label := "terraform " + dir
	t, err := environment.PrepareOffline(ctx, deployment.Terraform(r), name)
	if err != nil {
		return []result{{name: label + ": init", err: err}}
	}
	defer t.Close()
	files, err := t.FmtCheck(ctx)
	if err == nil && len(files) > 0 {
		err = fmt.Errorf("not formatted: %s (run terraform fmt)", strings.Join(files, ", "))
	}
	out := []result{{name: label + ": fmt -check", err: err}}
	dirs, cleanup, err := pluginDirs(r, r.Config.Path(dir))
	if err != nil {
		return append(out, result{name: label + ": init", err: err})
	}
	defer cleanup()
	missing, err := t.InitPlugins(ctx, dirs)
	switch {
	case err != nil:
		return append(out, result{name: label + ": init", err: err})
	case len(missing) > 0:
		return append(out, result{name: label + ": validate", skip: fmt.Sprintf("provider %s not installed (offline)", strings.Join(missing, ", "))})
	}
	return append(out, result{name: label + ": validate", err: validateTF(ctx, t)})
}

// pluginDirs are the local provider directories Terraform itself looks in (its implied
// local mirrors, https://developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories)
// that exist, plus TF_PLUGIN_CACHE_DIR; an empty directory when there is none, so that
// -plugin-dir still keeps Terraform off the network.
func pluginDirs(r *step.Run, tfDir string) ([]string, func(), error) {
	candidates := []string{filepath.Join(tfDir, "terraform.d", "plugins")}
	if home := r.Env.Getenv("HOME"); home != "" {
		candidates = append(candidates, filepath.Join(home, ".terraform.d", "plugins"))
		candidates = append(candidates, filepath.Join(home, ".local", "share", "terraform", "plugins"))
	}
	if x := r.Env.Getenv("XDG_DATA_HOME"); x != "" {
		candidates = append(candidates, filepath.Join(x, "terraform", "plugins"))
	}
	candidates = append(candidates, "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins", r.Env.Getenv("TF_PLUGIN_CACHE_DIR"))
	var dirs []string
	for _, d := range candidates {
		if st, err := os.Stat(d); d != "" && err == nil && st.IsDir() {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) > 0 {
		return dirs, func() {}, nil
	}
	empty, err := os.MkdirTemp("", "kiln-no-plugins-*")
	if err != nil {
		return nil, nil, fmt.Errorf("offline plugin directory: %w", err)
	}
	return []string{empty}, func() { os.RemoveAll(empty) }, nil
}

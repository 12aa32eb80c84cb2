package local_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// TestOpen: registry.path relative to kiln.yaml, KILN_REGISTRY_PATH relative to the
// working directory, and exit 2 for a registry type that keeps no local images.
func TestOpen(t *testing.T) {
	const minimal = "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: tf/}}\n"
	for _, tc := range []struct {
		name, config string
		vars         map[string]string
		want         string // relative to kiln.yaml's directory, or to the working directory for the variable
		wantCode     int
	}{
		{"default path", minimal, nil, ".kiln/images", 0},
		{"registry.path", minimal + "registry: {path: store}\n", nil, "store", 0},
		{"variable", minimal, map[string]string{"KILN_REGISTRY_PATH": "elsewhere"}, "work/elsewhere", 0},
		{"not local", minimal + "registry: {type: gcp, project: p}\n", nil, "", exitcode.Usage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(filepath.Join(dir, "kiln.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			reg, err := local.Open(cfg, func(k string) string { return tc.vars[k] }, filepath.Join(dir, "work"), time.Now)
			if exitcode.Of(err) != tc.wantCode && !(err == nil && tc.wantCode == 0) {
				t.Fatalf("Open: %v, want exit %d", err, tc.wantCode)
			}
			if tc.want != "" && (err != nil || reg.Dir != filepath.Join(dir, tc.want)) {
				t.Fatalf("registry dir %v (%v), want %q", reg, err, filepath.Join(dir, tc.want))
			}
		})
	}
}

package local

import (
	"path/filepath"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Open returns the local registry kiln.yaml names: registry.path relative to kiln.yaml, or
// KILN_REGISTRY_PATH (relative to dir, the working directory). It is exit 2 when kiln.yaml
// names another registry type, which keeps no local images. open.Registry opens it the
// same way; steps that only ever touch local images (deploys verifying a local image) call
// it directly and so do not link the cloud SDKs.
func Open(cfg *config.Config, getenv func(string) string, dir string, now func() time.Time) (*Registry, error) {
	if t := cfg.Registry.Type; t != "local" {
		return nil, exitcode.New(exitcode.Usage, "registry type %q keeps no local images (local:sha256:... ids)", t)
	}
	path := cfg.Path(cfg.Registry.Path)
	if p := getenv("KILN_REGISTRY_PATH"); p != "" {
		path = p
		if !filepath.IsAbs(p) {
			path = filepath.Join(dir, p)
		}
	}
	return &Registry{Dir: path, Now: now}, nil
}

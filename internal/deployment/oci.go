package deployment

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/step"
)

// resolveOCI pulls OCI image id by digest into the machine's image cache (or finds it
// there, its files re-hashed) and returns the path of its disk, which Terraform gets as
// KILN_IMAGE_PATH like a local image's.
func resolveOCI(ctx context.Context, r *step.Run, id string) (environment.Image, error) {
	img := environment.Image{ID: id}
	reg, err := oci.Open(ctx, r.Config, r.Lookup, r.Env.Dir, r.Env.Now)
	if err != nil {
		return img, err
	}
	start := time.Now()
	p, err := reg.Pull(ctx, id)
	if err != nil {
		return img, err
	}
	took := time.Since(start)
	switch {
	case p.Cached:
		r.Logf("image %s: in the cache %s, files re-hashed (%s)", id, reg.CacheDir(), took.Round(time.Millisecond))
	default:
		resumed := ""
		if p.Resumed > 0 {
			resumed = fmt.Sprintf(", %.1f MB of an earlier download kept", float64(p.Resumed)/1e6)
		}
		r.Logf("image %s: pulled %.1f MB from %s in %s into the cache %s%s", id, float64(p.Downloaded)/1e6, reg.Repository(),
			took.Round(time.Millisecond), reg.CacheDir(), resumed)
	}
	img.Path = p.Path
	return img, nil
}

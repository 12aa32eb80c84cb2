package bake

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// labelCloudImage puts the provenance labels on a cloud image (GCP labels, AWS tags), so
// the image itself leads back to its commit and kiln-rotate finds it by family. Local
// images got them on import, OCI images on push. An AMI copied to other regions is labelled
// in the registry's region only.
func labelCloudImage(ctx context.Context, r *step.Run, img record.Image) error {
	if t := r.Config.Registry.Type; t == "local" || t == "oci" || strings.HasPrefix(img.ID, local.IDPrefix) {
		return nil
	}
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return err
	}
	for _, part := range packer.SplitArtifactID(img.ID) {
		id := part.ID
		if part.Region != "" {
			id = part.Region + ":" + part.ID
		}
		err := reg.Label(ctx, id, img.Labels)
		if exitcode.Of(err) == exitcode.Usage { // another region than the registry's
			r.Logf("not labelling %s: %v", id, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("label the baked image: %w", err)
		}
	}
	return nil
}

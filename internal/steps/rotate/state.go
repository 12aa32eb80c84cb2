package rotate

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/step"
)

// stateUses reads the Terraform state of every environment of kiln.yaml: any string in it
// that names a candidate image (its id, or an AMI id, a GCP image path or self link) is a
// use. A state that cannot be read leaves every candidate's use unknown.
func stateUses(r *step.Run) lifecycle.UsesFunc {
	return func(ctx context.Context, candidates []registry.Image) registry.Uses {
		var u registry.Uses
		m := registry.NewMatcher(candidates)
		for _, name := range r.Config.EnvironmentNames() {
			if err := envUses(ctx, r, name, m, &u); err != nil {
				u.UnknownAll(candidates, fmt.Sprintf("environment %s: its Terraform state could not be read: %v", name, err))
			}
		}
		return u
	}
}

func envUses(ctx context.Context, r *step.Run, name string, m registry.Matcher, u *registry.Uses) error {
	raw, err := deployment.PullState(ctx, r, name)
	if err != nil {
		return err
	}
	return lifecycle.StateUses(name, raw, m, u) // no workspace, no state: no use
}

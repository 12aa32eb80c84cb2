package rotate

import (
	"context"
	"fmt"
	"io"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
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
	o := deployment.Terraform(r)
	o.Log = io.Discard // its report lines are kiln-rotate's output; errors carry Terraform's own line
	t, err := environment.Open(ctx, o, name, environment.Image{})
	if err != nil {
		return err
	}
	defer t.Close()
	existed, err := t.Workspace(ctx, false)
	if err != nil || !existed {
		return err // no workspace, no state
	}
	raw, err := t.StatePull(ctx)
	if err != nil {
		return err
	}
	return lifecycle.StateUses(name, raw, m, u)
}

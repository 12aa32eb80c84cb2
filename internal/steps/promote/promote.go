// Package promote is kiln-promote: it refuses any record whose tests did not pass for its
// exact image id, applies the promote environment (prod) with that id, moves the family
// pointer, and records the promotion. Running it again changes nothing.
package promote

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/deploy"
)

// Step is kiln-promote.
type Step struct{}

func (Step) Name() string   { return "promote" }
func (Step) String() string { return "promoting the tested image" }
func (Step) Description() string {
	return "Promotes the very image that was tested: refuses (exit 8) unless the record's tests passed\n" +
		"for its exact image id, applies the promote environment (promote.environment, default prod)\n" +
		"with that id, moves the image family's pointer to it and records the promotion. A second run\n" +
		"with nothing to change is a no-op."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "environment", Env: "KILN_PROMOTE_ENVIRONMENT", Help: "the environment to promote to (default promote.environment)"},
		step.DryRun,
	}
}
func (Step) EnvVars() []string {
	return []string{"KILN_REGISTRY_PATH     the local registry's directory (overrides registry.path)"}
}

// Run promotes the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	if err := rec.TestedOK(); err != nil {
		return exitcode.Wrap(exitcode.PromotionRefused, fmt.Errorf("promotion refused: %w", err))
	}
	if !step.LocalImage(rec.Image.ID) {
		return exitcode.New(exitcode.Usage, "image %s: family pointers for registry type %q are not available in this version", rec.Image.ID, r.Config.Registry.Type)
	}
	if err := deploy.CheckImage(r, rec); err != nil {
		return err
	}
	env := r.Opts.Get("environment")
	if env == "" {
		env = r.Config.Promote.Environment
	}
	d, changed, err := deploy.Apply(ctx, r, env, rec.Image.ID)
	if err != nil || d == nil {
		return err
	}
	previous, moved, err := moveFamily(r, rec, env)
	if err != nil {
		return err
	}
	again := rec.Promotion != nil && rec.Promotion.ImageID == rec.Image.ID && rec.Promotion.Environment == env
	if again && !changed && !moved {
		fmt.Fprintf(r.Out, "already promoted: %s is %s's image in %s; nothing changed\n", rec.Image.ID, rec.Image.Family, env)
		return nil
	}
	rec.SetDeployment(*d)
	if !again {
		rec.Promotion = &record.Promotion{Environment: env, ImageID: rec.Image.ID, Family: rec.Image.Family,
			PreviousImageID: previous, From: r.Config.Promote.From, To: r.Config.Promote.To, At: r.Env.Now().UTC()}
	}
	if err := r.Publish(rec, deploy.OutputVars(env, d.Outputs)); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "promoted %s (%s) to %s; family %s now points to it\n", rec.Image.Name, rec.Image.ID, env, rec.Image.Family)
	return nil
}

// moveFamily points the image's family at it in the local registry; it returns the image
// the family pointed to before and whether it moved.
func moveFamily(r *step.Run, rec *record.Record, env string) (string, bool, error) {
	reg, err := r.Registry()
	if err != nil {
		return "", false, err
	}
	previous, err := reg.SetFamily(rec.Image.Family, rec.Image.ID, env)
	if err != nil {
		return "", false, err
	}
	return previous, previous != rec.Image.ID, nil
}

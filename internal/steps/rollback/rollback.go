// Package rollback is kiln-rollback: it points the image family back at the previous
// promoted image (from the registry's promotion history) or at --to ID, and applies the
// promote environment with that exact image id. It refuses an OBSOLETE or DELETED image
// (exit 8). Rolling back twice returns to where it started.
package rollback

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/deploy"
)

// Step is kiln-rollback.
type Step struct{}

func (Step) Name() string   { return "rollback" }
func (Step) String() string { return "rolling back the image family" }
func (Step) Description() string {
	return "Rolls the image family back: to the image of the latest promotion before the current one, as\n" +
		"the registry's promotion history records it, or to --to ID. Refuses (exit 8) an image that is\n" +
		"OBSOLETE or DELETED or of another family; a DEPRECATED image becomes READY again. Applies the\n" +
		"promote environment (promote.environment, default prod) with that exact id, then moves the\n" +
		"family pointer, recording the rollback as a promotion. Twice in a row returns to where it was.\n" +
		"--dry-run plans instead."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "to", Env: "KILN_ROLLBACK_TO", Help: "the image id to return to (default: the previous promoted image)"},
		{Name: "environment", Env: "KILN_PROMOTE_ENVIRONMENT", Help: "the environment to apply (default promote.environment)"},
		step.DryRun,
	}
}
func (Step) EnvVars() []string { return open.EnvVars }

// Run rolls the family back.
func (Step) Run(ctx context.Context, r *step.Run) error {
	reg, err := r.ImageRegistry(ctx)
	if err != nil {
		return err
	}
	family := r.Config.Image.Family
	fam, err := reg.Pointer(ctx, family)
	if err != nil {
		return err
	}
	img, err := target(ctx, r, reg, fam)
	if err != nil {
		return err
	}
	if img.ID == fam.Current {
		return step.Skip("family %s already points to %s", family, img.ID)
	}
	env := r.Opts.Get("environment")
	if env == "" {
		env = r.Config.Promote.Environment
	}
	if err := deploy.CheckImage(r, &record.Record{Image: record.Image{ID: img.ID}}); err != nil {
		return err
	}
	d, _, err := deploy.Apply(ctx, r, env, img.ID)
	if err != nil || d == nil {
		if err == nil {
			fmt.Fprintf(r.Out, "dry run: would roll family %s back from %s to %s\n", family, orNone(fam.Current), img.ID)
		}
		return err
	}
	if img.State == registry.Deprecated {
		if err := reg.SetState(ctx, img.ID, registry.Ready, registry.Dates{}); err != nil {
			return fmt.Errorf("%s now runs %s, but it stays DEPRECATED: %w", env, img.ID, err)
		}
	}
	if _, err := reg.Point(ctx, family, img.ID, env, r.Env.Now().UTC()); err != nil {
		return fmt.Errorf("%s now runs %s, but the family pointer still names %s: %w", env, img.ID, orNone(fam.Current), err)
	}
	fmt.Fprintf(r.Out, "rolled family %s back from %s to %s (%s); %s applied with %s\n", family, orNone(fam.Current), img.ID, img.Name, env, img.ID)
	return nil
}

// target finds the image to return to and refuses one that cannot run (exit 8).
func target(ctx context.Context, r *step.Run, reg registry.Registry, fam *registry.Family) (*registry.Image, error) {
	id := r.Opts.Get("to")
	if id == "" {
		if id = fam.Previous(); id == "" {
			return nil, exitcode.New(exitcode.PromotionRefused, "rollback refused: family %s has no earlier promoted image (%d promotions recorded)",
				fam.Name, len(fam.History))
		}
	}
	img, err := reg.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case img.State == registry.Obsolete || img.State == registry.Deleted:
		since := ""
		if d := img.Dates.Of(img.State); !d.IsZero() {
			since = " since " + d.UTC().Format("2006-01-02")
		}
		return nil, exitcode.New(exitcode.PromotionRefused, "rollback refused: image %s is %s%s", img.ID, img.State, since)
	case img.Family != "" && img.Family != fam.Name:
		return nil, exitcode.New(exitcode.PromotionRefused, "rollback refused: image %s belongs to family %s, not %s", img.ID, img.Family, fam.Name)
	}
	return img, nil
}

func orNone(id string) string {
	if id == "" {
		return "(none)"
	}
	return id
}

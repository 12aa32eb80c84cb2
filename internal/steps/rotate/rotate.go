// Package rotate is kiln-rotate: it retires the images of kiln.yaml's family as the
// lifecycle policy says (READY -> DEPRECATED -> OBSOLETE -> DELETED, each dated), never
// touching the family's current image, kiln-rollback's target, or any image in use by the
// cloud's resources or named in an environment's Terraform state. It prints the plan as a
// table and changes nothing unless --apply is given.
package rotate

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-rotate.
type Step struct{}

func (Step) Name() string   { return "rotate" }
func (Step) String() string { return "rotating the image family" }
func (Step) Description() string {
	return "Retires the family's old images as kiln.yaml's lifecycle block says (READY -> DEPRECATED ->\n" +
		"OBSOLETE -> DELETED), never the current image, the rollback target, or an image in use or whose\n" +
		"use cannot be checked. One line per image. A dry run unless --apply."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-rotate", "kiln-rotate --apply"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Retires old images of the family as kiln.yaml's lifecycle block says: keep the newest N READY\n" +
		"images, deprecate after, obsolete after, delete after (ages from creation; no state is cut short).\n" +
		"Never touches the family's current image, the image kiln-rollback would return to, an image in\n" +
		"use (instances, instance/launch templates in every version, groups, and every environment's\n" +
		"Terraform state), nor an image whose use cannot be determined. Prints one line per image: state\n" +
		"now -> next, the date (of the transition, or when the image is next due) and why. A dry run\n" +
		"unless --apply; an error stops --apply where it happened, and the last line says where."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{{Name: "apply", Env: "KILN_APPLY", Bool: true, Help: "carry out the plan (default: print it only)"}}
}
func (Step) EnvVars() []string { return []string{open.EnvSummary} }

// Run plans the rotation and, with --apply, carries it out.
func (Step) Run(ctx context.Context, r *step.Run) error {
	if r.Config.Lifecycle == nil {
		return step.Skip("kiln.yaml has no lifecycle block")
	}
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return err
	}
	family, apply := r.Config.Image.Family, r.Opts.Bool("apply")
	if l, ok := reg.(registry.Locker); ok && apply {
		unlock, err := l.Lock(ctx, family)
		if err != nil {
			return err
		}
		defer unlock()
	}
	rot := lifecycle.Rotation{Registry: reg, Family: family, Policy: lifecycle.FromConfig(r.Config.Lifecycle),
		Now: r.Env.Now().UTC(), Uses: stateUses(r)}
	rows, err := rot.Plan(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "family %s in the %s registry at %s; policy: %s\n", family, reg.Type(), rot.Now.Format("2006-01-02 15:04 MST"), rot.Policy)
	if err := lifecycle.WriteTable(r.Out, rows); err != nil {
		return err
	}
	fmt.Fprintln(r.Out, lifecycle.Summary(rows))
	if !apply {
		fmt.Fprintln(r.Out, "dry run: nothing changed (--apply carries it out)")
		return nil
	}
	rep := lifecycle.Apply(ctx, reg, rows, r.Out)
	if err := rep.Error(); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "applied %d transitions\n", len(rep.Done))
	return nil
}

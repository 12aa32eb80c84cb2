// Package destroy is kiln-destroy-dev: terraform destroy of an environment (dev by default);
// an environment with no workspace or an empty state is nothing to do, and exits 0.
package destroy

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-destroy-dev.
type Step struct{}

func (Step) Name() string   { return "destroy-dev" }
func (Step) String() string { return "destroying the dev environment" }
func (Step) Description() string {
	return "Destroys an environment (dev by default) with terraform destroy and marks the record's\n" +
		"deployment there destroyed; nothing to destroy is exit 0. Refuses the promote environment\n" +
		"unless --allow-promote-environment."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-destroy-dev", "kiln-destroy-dev --environment qa"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Destroys an environment (dev by default) with terraform destroy. It reads the record for the\n" +
		"image variable's value, when a record is there, and marks the record's deployment of the\n" +
		"environment destroyed (its outputs removed; kiln-test then refuses it); a missing workspace or an\n" +
		"empty state is nothing to do (exit 0). It refuses the promote environment unless\n" +
		"--allow-promote-environment."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{deployment.EnvironmentFlag, step.DryRun,
		{Name: "allow-promote-environment", Bool: true, Help: "allow destroying promote.environment (prod)"}}
}
func (Step) EnvVars() []string { return nil }

// Run destroys the environment.
func (Step) Run(ctx context.Context, r *step.Run) error {
	name := r.Opts.Get("environment")
	if name == r.Config.Promote.Environment && !r.Opts.Bool("allow-promote-environment") {
		return step.UsageError("refusing to destroy %s, the promote environment (pass --allow-promote-environment)", name)
	}
	img := environment.Image{Blank: true}
	rec, err := r.ReadRecord()
	if err == nil {
		img.ID = rec.Image.ID
	} else {
		rec = nil
	}
	t, err := environment.Open(ctx, deployment.Terraform(r), name, img)
	if err != nil {
		return err
	}
	defer t.Close()
	existed, err := t.Workspace(ctx, false)
	if err != nil {
		return err
	}
	if !existed {
		return step.Skip("%s has no workspace %q", name, t.Env.Workspace)
	}
	n, err := t.StateResources(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := markDestroyed(r, rec, name); err != nil {
			return err
		}
		return step.Skip("nothing is deployed in %s", name)
	}
	if r.Opts.Bool("dry-run") {
		fmt.Fprintf(r.Out, "dry run: would destroy %d resources in %s\n", n, name)
		return nil
	}
	if err := t.Destroy(ctx); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "destroyed %s (%d resources)\n", name, n)
	return markDestroyed(r, rec, name)
}

// markDestroyed records that environment name's deployment in rec is gone, when the record
// shows one: its outputs go (kiln.env no longer offers them), and kiln-test refuses to test
// it. Nothing else changes: the tests and their state binding stand.
func markDestroyed(r *step.Run, rec *record.Record, name string) error {
	if rec == nil {
		return nil
	}
	d := rec.Deployment(name)
	if d == nil || !d.Destroyed.IsZero() {
		return nil
	}
	gone := *d
	gone.Destroyed, gone.Outputs = r.Env.Now().UTC(), nil
	rec.SetDeployment(gone)
	return r.Publish(rec)
}

// Package deploy is kiln-deploy-dev: terraform init, workspace and apply of an environment
// (dev by default) with the record's exact image id, then the outputs and the state's
// lineage and serial into the record, and the outputs into kiln.env. It never deploys into
// the promote environment: that is kiln-promote's, behind the promotion gate.
package deploy

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-deploy-dev.
type Step struct{}

func (Step) Name() string   { return "deploy-dev" }
func (Step) String() string { return "deploying the image to the dev environment" }
func (Step) Description() string {
	return "Deploys the record's exact image id to an environment (dev by default) with terraform apply,\n" +
		"and records its outputs and state in kiln-image.json and kiln.env. Refuses (exit 8) the promote\n" +
		"environment, one sharing its state, and a revoked image. --dry-run plans instead."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-deploy-dev", "kiln-deploy-dev --environment qa --dry-run"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Deploys the record's exact image id to an environment (dev by default) with Terraform:\n" +
		"init, workspace select-or-create, apply with the image variable (image_var, default image_id)\n" +
		"in a 0600 -var-file; records the outputs and the state's lineage and serial in kiln-image.json\n" +
		"and string outputs in kiln.env as KILN_OUTPUT_<ENV>_<NAME>. It refuses (exit 8) the promote\n" +
		"environment and any environment that shares its Terraform state. --dry-run plans instead."
}

func (Step) Flags() []step.Flag {
	return []step.Flag{deployment.EnvironmentFlag, step.DryRun, deployment.PlanReportFlag}
}
func (Step) EnvVars() []string {
	return []string{"KILN_REGISTRY_PATH     the local registry's directory (overrides registry.path)"}
}

// Run deploys the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	name := r.Opts.Get("environment")
	if err := gate.NotPromoteTarget(r.Config, name, "kiln-deploy-dev"); err != nil {
		return err
	}
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	if err := notRevoked(ctx, r, rec.Image.ID); err != nil {
		return err
	}
	img, err := deployment.Resolve(ctx, r, rec.Image.ID)
	if err != nil {
		return err
	}
	res, err := deployment.Apply(ctx, r, name, img, deployment.Options{
		DryRun: r.Opts.Bool("dry-run"), PlanReport: r.Path(r.Opts.Get("plan-report"))})
	if err != nil {
		return err
	}
	if res.Deployment == nil {
		fmt.Fprintf(r.Out, "dry run: %s would %s\n", name, map[bool]string{true: "change", false: "not change"}[res.Changed])
		return nil
	}
	rec.SetDeployment(*res.Deployment)
	if err := r.Publish(rec); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "deployed %s to %s (%s)\n", rec.Image.ID, name, map[bool]string{true: "changed", false: "no changes"}[res.Changed])
	return nil
}

// notRevoked refuses (exit 8) an image kiln-revoke revoked: the registry holds the
// revocation, so every runner sees it. An image the registry does not hold is exit 7.
func notRevoked(ctx context.Context, r *step.Run, id string) error {
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return err
	}
	img, err := reg.Lookup(ctx, id)
	if err != nil {
		return err
	}
	return gate.Revoked(img, r.Env.Now(), "deploy")
}

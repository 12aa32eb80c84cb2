// Package deployment applies one environment of kiln.yaml with an exact image and records
// what the apply left behind (its outputs and the state's lineage and serial, read in one
// `terraform state pull`). kiln-deploy-dev, kiln-promote and kiln-rollback share it; the
// promotion gate (internal/gate) decides beforehand whether they may.
package deployment

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// EnvironmentFlag selects the environment of kiln-deploy-dev and kiln-destroy-dev.
var EnvironmentFlag = step.Flag{Name: "environment", Env: "KILN_ENVIRONMENT", Default: "dev", Help: "the environment of kiln.yaml to deploy"}

// PlanReportFlag writes GitLab's Terraform report of the plan (kiln-deploy-dev, kiln-promote).
var PlanReportFlag = step.Flag{Name: "plan-report", Env: "KILN_PLAN_REPORT",
	Help: "write the plan's changes as GitLab's Terraform report ({\"create\":N,\"update\":N,\"delete\":N}) to this file"}

// Options change how Apply runs.
type Options struct {
	DryRun     bool   // plan only: report whether anything would change
	PlanReport string // write GitLab's Terraform report of the plan here ("" for none)
	// Promote says the environment is a promotion's target (kiln-promote, kiln-rollback):
	// its deployment gets no TTL, and neither do its instances' owner labels.
	Promote bool
	// Keep, when set, receives the plan (its file and the state it was made against) before
	// anything is applied: kiln-promote seals it in a merge request pipeline (reviewed.go).
	Keep func(ctx context.Context, p Plan) error
	// Approve, when set, is asked after the plan, before the apply, whether the apply may
	// go on (changes: whether the plan changes anything); its error stops Apply, which then
	// has applied nothing.
	Approve func(changes bool) error
	// Vars are Terraform variables for this apply alone (a rollout's slot variables), written
	// to kiln's 0600 variable file beside those from Vault (a name in both takes Vars').
	Vars map[string]string
}

// terraform is Terraform for the step's run with o's own variables added.
func (o Options) terraform(r *step.Run) environment.Options {
	eo := Terraform(r)
	if len(o.Vars) > 0 {
		eo.TFVars = maps.Clone(r.TFVars)
		maps.Copy(eo.TFVars, o.Vars)
	}
	return eo
}

// Result is what Apply did.
type Result struct {
	Changed bool // the plan had changes (applied unless DryRun)
	// Deployment is the environment after the apply; nil under DryRun.
	Deployment *record.Deployment
}

// Resolve returns what Terraform gets of image id: for a local-registry image, the path of
// its disk after checking that its files still hash to the id (exit 7 when the image is
// unknown, deleted or tampered with); for an OCI image, the path of its disk in the local
// cache after pulling it by digest (oci.go); other ids go to Terraform as they are.
func Resolve(ctx context.Context, r *step.Run, id string) (environment.Image, error) {
	img := environment.Image{ID: id}
	if strings.HasPrefix(id, oci.IDPrefix) {
		return resolveOCI(ctx, r, id)
	}
	if !strings.HasPrefix(id, local.IDPrefix) {
		return img, nil
	}
	reg, err := local.Open(r.Config, r.Lookup, r.Env.Dir, r.Env.Now)
	if err != nil {
		return img, err
	}
	li, err := reg.Get(id)
	if err != nil {
		return img, err
	}
	if err := reg.Verify(li); err != nil {
		return img, err
	}
	img.Path = reg.Path(li)
	return img, nil
}

// Apply plans environment name with img and, unless o.DryRun, applies that exact plan and
// reads the resulting state once: its outputs (an output that carries a secret kiln handled
// is kept as sensitive, without its value) and its lineage and serial.
func Apply(ctx context.Context, r *step.Run, name string, img environment.Image, o Options) (Result, error) {
	if err := ImageVarDeclared(r.Config, name); err != nil {
		return Result{}, err
	}
	img.Promote = o.Promote
	t, err := environment.Open(ctx, o.terraform(r), name, img)
	if err != nil {
		return Result{}, err
	}
	defer t.Close()
	if _, err := t.Workspace(ctx, true); err != nil {
		return Result{}, err
	}
	changes, err := t.Plan(ctx, t.PlanFile())
	if err != nil {
		return Result{}, err
	}
	if o.PlanReport != "" {
		if err := writeReport(ctx, t, o.PlanReport); err != nil {
			return Result{}, err
		}
	}
	if o.Keep != nil {
		if err := keep(ctx, t, o.Keep); err != nil {
			return Result{}, err
		}
	}
	if o.DryRun {
		return Result{Changed: changes}, nil
	}
	if o.Approve != nil {
		if err := o.Approve(changes); err != nil {
			return Result{}, err
		}
	}
	if changes {
		if err := t.ApplyPlan(ctx, t.PlanFile()); err != nil {
			return Result{}, err
		}
	}
	return deployed(ctx, r, t, name, img, o, changes)
}

// deployed reads the state an apply left, once, and returns what the record keeps of it.
func deployed(ctx context.Context, r *step.Run, t *environment.Target, name string, img environment.Image, o Options, changes bool) (Result, error) {
	st, err := t.State(ctx)
	if err != nil {
		return Result{}, err
	}
	if !st.NamesImage(img.ID) {
		r.Logf("warning: no resource of %s's Terraform state holds image %s: does the configuration use variable %q? "+
			"kiln-test will refuse to vouch for a deployment that does not", name, img.ID, t.Env.ImageVar)
	}
	d := &record.Deployment{Environment: name, Workspace: t.Env.Workspace, ImageID: img.ID, At: r.Env.Now().UTC(),
		Outputs: Outputs(r, name, st.Outputs), StateLineage: st.Lineage, StateSerial: st.Serial, StateDigest: st.Digest}
	if !o.Promote && name != r.Config.Promote.Environment {
		// A dev environment lives for the run's TTL; kiln-sweep destroys it after that.
		d.Expires = d.At.Add(r.Owner.Expires.Sub(r.Owner.Created))
	}
	return Result{Changed: changes, Deployment: d}, nil
}

// Outputs converts Terraform outputs for the record. An output whose value carries a secret
// kiln handed Terraform (a Vault value echoed by a non-sensitive output) is recorded as
// sensitive, without its value, so it never reaches the record or kiln.env.
func Outputs(r *step.Run, env string, outs map[string]terraform.Output) map[string]record.Output {
	rec := make(map[string]record.Output, len(outs))
	for _, k := range slices.Sorted(maps.Keys(outs)) {
		o := outs[k]
		if !o.Sensitive && r.Carries(string(o.Value)) {
			r.Logf("warning: output %s of %s holds a secret value: it is kept out of the record and kiln.env (mark it sensitive)", k, env)
			o = terraform.Output{Sensitive: true}
		}
		rec[k] = record.Output{Value: o.Value, Sensitive: o.Sensitive}
	}
	return rec
}

// writeReport writes the plan's change counts as GitLab's artifacts:reports:terraform JSON,
// atomically.
func writeReport(ctx context.Context, t *environment.Target, path string) error {
	rep, err := t.PlanReport(ctx, t.PlanFile())
	if err != nil {
		return err
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// PromoteEnvironmentFlag selects the environment kiln-promote and kiln-rollback apply.
var PromoteEnvironmentFlag = step.Flag{Name: "environment", Env: "KILN_PROMOTE_ENVIRONMENT",
	Help: "the environment to promote to (default promote.environment)"}

// PromoteEnvironment is --environment (PromoteEnvironmentFlag), else promote.environment.
func PromoteEnvironment(r *step.Run) string {
	if env := r.Opts.Get("environment"); env != "" {
		return env
	}
	return r.Config.Promote.Environment
}

// Terraform is what Terraform for an environment takes from the step's run.
func Terraform(r *step.Run) environment.Options {
	inherited, secrets := withoutPlanKey(r.ChildEnviron(), r.ChildEnv)
	return environment.Options{Config: r.Config, Terraform: r.Opts.Get("terraform"), Getenv: r.Env.Getenv, Dir: r.Env.Dir,
		Inherited: inherited, Secrets: secrets, TFVars: r.TFVars, StopTimeout: r.StopTimeout, Log: r.Log, Mask: r.Secret,
		Phase: r.Phase}
}

// Quiet is Terraform for a step that only reads environments: Terraform's own output would
// bury the step's report lines, and its errors carry Terraform's first error line anyway.
func Quiet(r *step.Run) environment.Options {
	o := Terraform(r)
	o.Log = io.Discard
	o.Phase = nil
	return o
}

// PullState returns environment name's raw Terraform state, read quietly; nil when the
// environment has no workspace.
func PullState(ctx context.Context, r *step.Run, name string) ([]byte, error) {
	t, err := environment.Open(ctx, Quiet(r), name, environment.Image{})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if existed, err := t.Workspace(ctx, false); err != nil || !existed {
		return nil, err
	}
	return t.StatePull(ctx)
}

// ImageVarDeclared returns a usage error at kiln.yaml's line when environment name's
// Terraform configuration declares no variable image_var: Terraform would only warn about
// an undeclared variable and deploy without the image.
func ImageVarDeclared(cfg *config.Config, name string) error {
	env, err := cfg.Env(name)
	if err != nil {
		return err
	}
	if err := cfg.Exists("environments."+name+".terraform", env.Terraform); err != nil {
		return err
	}
	declared, err := terraform.DeclaredVariables(cfg.Path(env.Terraform))
	if err != nil || declared[env.ImageVar] {
		return err
	}
	return cfg.Errorf("environments."+name+".image_var", "%s declares no variable %q, so Terraform would never receive the image "+
		"(add variable %q { type = string } to it, or set image_var to the variable that takes the image id)", env.Terraform, env.ImageVar, env.ImageVar)
}

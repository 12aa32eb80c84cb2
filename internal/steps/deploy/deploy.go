// Package deploy is kiln-deploy-dev: terraform init, workspace and apply of an environment
// (dev by default) with the record's exact image id, then the outputs into the record and
// kiln.env.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-deploy-dev.
type Step struct{}

func (Step) Name() string   { return "deploy-dev" }
func (Step) String() string { return "deploying the image to the dev environment" }
func (Step) Description() string {
	return "Deploys the record's exact image id to an environment (dev by default) with Terraform:\n" +
		"init, workspace select-or-create, apply with the image variable (image_var, default image_id)\n" +
		"in a 0600 -var-file; records the outputs in kiln-image.json and string outputs in kiln.env\n" +
		"as KILN_OUTPUT_<ENV>_<NAME>. --dry-run plans instead."
}

// EnvironmentFlag selects the environment; shared with kiln-destroy-dev.
var EnvironmentFlag = step.Flag{Name: "environment", Env: "KILN_ENVIRONMENT", Default: "dev", Help: "the environment of kiln.yaml to deploy"}

// PlanReportFlag writes GitLab's Terraform report of the plan; shared with kiln-promote.
var PlanReportFlag = step.Flag{Name: "plan-report", Env: "KILN_PLAN_REPORT",
	Help: "write the plan's changes as GitLab's Terraform report ({\"create\":N,\"update\":N,\"delete\":N}) to this file"}

func (Step) Flags() []step.Flag { return []step.Flag{EnvironmentFlag, step.DryRun, PlanReportFlag} }
func (Step) EnvVars() []string {
	return []string{"KILN_REGISTRY_PATH     the local registry's directory (overrides registry.path)"}
}

// Run deploys the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	if err := CheckImage(r, rec); err != nil {
		return err
	}
	name := r.Opts.Get("environment")
	d, changed, err := Apply(ctx, r, name, rec.Image.ID)
	if err != nil || d == nil {
		return err
	}
	rec.SetDeployment(*d)
	if err := r.Publish(rec, OutputVars(name, d.Outputs)); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "deployed %s to %s (%s)\n", rec.Image.ID, name, map[bool]string{true: "changed", false: "no changes"}[changed])
	return nil
}

// CheckImage makes sure a local image still exists, unchanged, in the registry (exit 7).
func CheckImage(r *step.Run, rec *record.Record) error {
	if !step.LocalImage(rec.Image.ID) {
		return nil
	}
	reg, err := r.Registry()
	if err != nil {
		return err
	}
	img, err := reg.Get(rec.Image.ID)
	if err != nil {
		return err
	}
	r.ChildEnv["KILN_IMAGE_PATH"] = reg.Path(img)
	return reg.Verify(img)
}

// Apply applies environment name with imageID and returns its deployment; under --dry-run
// it plans, prints whether anything would change, and returns a nil deployment.
func Apply(ctx context.Context, r *step.Run, name, imageID string) (*record.Deployment, bool, error) {
	t, err := environment.Open(ctx, r, name, imageID)
	if err != nil {
		return nil, false, err
	}
	defer t.Close()
	if _, err := t.Workspace(ctx, true); err != nil {
		return nil, false, err
	}
	changes, err := t.Plan(ctx, t.PlanFile())
	if err != nil {
		return nil, false, err
	}
	if path := r.Opts.Get("plan-report"); path != "" {
		if err := writeReport(ctx, t, r.Path(path)); err != nil {
			return nil, false, err
		}
	}
	if r.Opts.Bool("dry-run") {
		fmt.Fprintf(r.Out, "dry run: %s would %s\n", name, map[bool]string{true: "change", false: "not change"}[changes])
		return nil, changes, nil
	}
	if changes {
		if err := t.ApplyPlan(ctx, t.PlanFile()); err != nil {
			return nil, false, err
		}
	}
	outs, err := t.Outputs(ctx)
	if err != nil {
		return nil, false, err
	}
	d := &record.Deployment{Environment: name, Workspace: t.Env.Workspace, ImageID: imageID, At: r.Env.Now().UTC(), Outputs: map[string]record.Output{}}
	for k, o := range outs {
		d.Outputs[k] = record.Output{Value: o.Value, Sensitive: o.Sensitive}
	}
	return d, changes, nil
}

var outputName = regexp.MustCompile(`[^A-Z0-9_]`)

// OutputVars turns an environment's non-sensitive string, number and bool outputs into
// KILN_OUTPUT_<ENV>_<NAME> variables whose values kiln.env can carry; other outputs stay in
// the record only.
func OutputVars(env string, outs map[string]record.Output) map[string]string {
	vars := map[string]string{}
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		o := outs[k]
		if o.Sensitive || len(o.Value) == 0 {
			continue
		}
		// json.Number keeps a number as Terraform wrote it: through float64, 1000000
		// would become 1e+06.
		dec := json.NewDecoder(bytes.NewReader(o.Value))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = fmt.Sprint(x)
		default:
			continue
		}
		key := "KILN_OUTPUT_" + outputName.ReplaceAllString(strings.ToUpper(env+"_"+k), "_")
		if record.CheckDotenvValue(key, s) == nil {
			vars[key] = s
		}
	}
	return vars
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
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("plan report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("plan report: %w", err)
	}
	return nil
}

package deployment

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/planfile"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Plan is a saved Terraform plan file and the state it was made against: an empty lineage
// and serial 0 mean no state.
type Plan struct {
	File    []byte
	Lineage string
	Serial  int64
}

// Reviewed is a plan made earlier (in a merge request pipeline) to apply as it is, and
// where it was reviewed, for the log.
type Reviewed struct {
	Plan
	Where string // "job plan-prod (#1234) of merge request !7"
}

// Unusable says why a reviewed plan cannot be applied as it is; nothing was applied.
type Unusable struct{ Reason string }

func (e *Unusable) Error() string { return e.Reason }

func unusable(format string, args ...any) error {
	return &Unusable{Reason: fmt.Sprintf(format, args...)}
}

// ApplyReviewed applies the reviewed plan rv to environment name, without planning again,
// if and only if it applies as it was reviewed: a Terraform plan of this environment's
// configuration (the snapshot it carries matches the directory, and so do the dependency
// locks), made against the state the environment has now (same lineage and serial; no state
// on both sides counts as the same only for a plan made against no state), whose image
// variable is img.ID (read with terraform show -json, not taken from the envelope). Any
// other plan is an *Unusable error, before anything is applied. Terraform refuses a stale
// plan itself; kiln checks first, to say why in one line.
func ApplyReviewed(ctx context.Context, r *step.Run, name string, img environment.Image, rv Reviewed, o Options) (Result, error) {
	if err := ImageVarDeclared(r.Config, name); err != nil {
		return Result{}, err
	}
	saved, err := terraform.ReadSavedPlan(rv.File)
	if err != nil {
		return Result{}, unusable("%v", err)
	}
	if saved.Lineage != rv.Lineage || saved.Serial != rv.Serial {
		return Result{}, unusable("the plan file was made against %s, not the %s its envelope names",
			stateName(saved.Lineage, saved.Serial), stateName(rv.Lineage, rv.Serial))
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
	st, err := t.State(ctx)
	if err != nil {
		return Result{}, err
	}
	if why := stateChange(saved.Lineage, saved.Serial, st); why != "" {
		return Result{}, unusable("%s's state changed since the plan: %s", name, why)
	}
	dir := r.Config.Path(t.Env.Terraform)
	if ch, err := saved.ConfigChanges(dir); err != nil || len(ch) > 0 {
		return Result{}, orUnusable(err, "the Terraform configuration changed since the plan: %s", list(ch))
	}
	if ch, err := saved.LockChanges(dir); err != nil || len(ch) > 0 {
		return Result{}, orUnusable(err, "the Terraform dependency lock changed since the plan: %s", list(ch))
	}
	if err := os.WriteFile(t.PlanFile(), rv.File, 0o600); err != nil {
		return Result{}, fmt.Errorf("write the reviewed plan: %w", err)
	}
	info, err := t.InspectPlan(ctx, t.PlanFile())
	if err != nil {
		return Result{}, unusable("Terraform cannot read it: %v", err) // another Terraform version, most often
	}
	if got, ok := info.Variables[t.Env.ImageVar].(string); !ok || got != img.ID {
		return Result{}, unusable("its variable %s is %s, not the image %s", t.Env.ImageVar, planned(info.Variables[t.Env.ImageVar]), img.ID)
	}
	if o.PlanReport != "" {
		if err := writeReport(ctx, t, o.PlanReport); err != nil {
			return Result{}, err
		}
	}
	r.Logf("%s: applying the plan reviewed in %s, as it is (made against %s, %s)", name, rv.Where,
		stateName(saved.Lineage, saved.Serial), map[bool]string{true: "with changes", false: "without changes"}[info.Changes])
	if o.DryRun {
		return Result{Changed: info.Changes}, nil
	}
	if info.Changes {
		if err := t.ApplyPlan(ctx, t.PlanFile()); err != nil {
			return Result{}, err
		}
	}
	return deployed(ctx, r, t, name, img, o, info.Changes)
}

// stateChange says how state st differs from the one a plan was made against (lineage,
// serial; "" and 0 for none), or "" when it does not.
func stateChange(lineage string, serial int64, st *terraform.State) string {
	none := st.Lineage == "" && st.Serial == 0 && st.Digest == ""
	switch {
	case lineage == "" && serial == 0 && none:
		return ""
	case lineage == "" && serial == 0:
		return fmt.Sprintf("it had no state, now serial %d (lineage %s)", st.Serial, st.Lineage)
	case none:
		return fmt.Sprintf("serial %d -> no state", serial)
	case st.Lineage != lineage:
		return fmt.Sprintf("lineage %s -> %s (another state)", lineage, st.Lineage)
	case st.Serial != serial:
		return fmt.Sprintf("serial %d -> %d", serial, st.Serial)
	}
	return ""
}

func stateName(lineage string, serial int64) string {
	if lineage == "" && serial == 0 {
		return "no state"
	}
	return fmt.Sprintf("state serial %d", serial)
}

func planned(v any) string {
	if v == nil {
		return "not set"
	}
	return fmt.Sprintf("%v", v)
}

func list(items []string) string {
	if len(items) > 5 {
		items = append(items[:5:5], fmt.Sprintf("and %d more", len(items)-5))
	}
	return strings.Join(items, ", ")
}

// orUnusable returns err when there is one, else an *Unusable error.
func orUnusable(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return unusable(format, args...)
}

// keep hands the plan Apply just made to f, with the state it was made against (read from
// the plan file itself: what Terraform compares before it applies it).
func keep(ctx context.Context, t *environment.Target, f func(context.Context, Plan) error) error {
	data, err := os.ReadFile(t.PlanFile())
	if err != nil {
		return fmt.Errorf("read the plan file: %w", err)
	}
	saved, err := terraform.ReadSavedPlan(data)
	if err != nil {
		return err
	}
	return f(ctx, Plan{File: data, Lineage: saved.Lineage, Serial: saved.Serial})
}

// withoutPlanKey leaves the key that seals reviewed plans out of Terraform's environment:
// Terraform has no use for it, and a provisioner could print it.
func withoutPlanKey(inherited []string, secrets map[string]string) ([]string, map[string]string) {
	out := make([]string, 0, len(inherited))
	for _, kv := range inherited {
		if !strings.HasPrefix(kv, planfile.EnvKey+"=") {
			out = append(out, kv)
		}
	}
	if _, ok := secrets[planfile.EnvKey]; !ok {
		return out, secrets
	}
	s := make(map[string]string, len(secrets))
	for k, v := range secrets {
		if k != planfile.EnvKey {
			s[k] = v
		}
	}
	return out, s
}

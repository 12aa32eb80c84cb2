package promote

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/check"
	"github.com/kiln-ci/kiln/internal/strategy"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// promoteStrategy is promote's path for a blue-green or canary promote.strategy, after the
// gate passed: internal/strategy runs the sequence through the configuration's slot
// variables; this records the outcome and moves the family pointer only when the image
// was promoted. A rolled back promotion is recorded too, and exits 1 with one line naming
// the gate that failed.
func promoteStrategy(ctx context.Context, r *step.Run, reg registry.Registry, rec *record.Record, img environment.Image,
	env, mergeRequest string, dryRun bool) (bool, error) {
	s := r.Config.Promote.Strategy
	if r.Opts.Get("plan") != "" {
		return false, step.UsageError("%s: a %s promotion is several applies, which no single reviewed plan covers (promote.strategy)", r.Opts.Given("plan"), s.Type)
	}
	if err := contract(r.Config, env); err != nil {
		return false, err
	}
	cur, err := current(ctx, r, env)
	if err != nil {
		return false, err
	}
	if dryRun {
		return false, planStrategy(ctx, r, env, img, cur)
	}
	a := &applier{r: r, env: env, img: img}
	ro := &strategy.Rollout{Strategy: s, Image: rec.Image.ID, Apply: a.apply,
		Check: func(ctx context.Context, slot string, outs strategy.Outputs) (string, error) {
			return runChecks(ctx, r, rec, env, outs)
		},
		Stats: func(url, backend string) strategy.Stats { return strategy.Stats{URL: url, Backend: backend} },
		Sleep: sleep, Now: r.Env.Now, Log: r.Logf}
	res, err := ro.Run(ctx, cur)
	if err != nil {
		return false, err
	}
	p := &record.Promotion{Environment: env, ImageID: rec.Image.ID, Family: rec.Image.Family, From: r.Config.Promote.From,
		To: r.Config.Promote.To, MergeRequest: mergeRequest, At: r.Env.Now().UTC(), Strategy: res.Rollout}
	if !res.Promoted {
		p.Outcome, p.PreviousImageID = record.OutcomeRolledBack, res.PreviousImage
		rec.Promotion = p
		if err := r.Publish(rec); err != nil {
			return false, err
		}
		report(r, rec, res)
		return false, exitcode.New(exitcode.Failed, "%s", res.Failed())
	}
	previous, err := reg.Point(ctx, rec.Image.Family, rec.Image.ID, env, r.Env.Now().UTC())
	if err != nil {
		return false, err
	}
	if err := keepAttestation(ctx, reg, rec); err != nil {
		return false, err
	}
	again := rec.Promotion.Done() && rec.Promotion.ImageID == rec.Image.ID && rec.Promotion.Environment == env
	if again && res.Unchanged && !a.changed && previous == rec.Image.ID {
		fmt.Fprintf(r.Out, "already promoted: %s serves %s alone in %s; nothing changed\n", res.Rollout.Slot, rec.Image.ID, env)
		return true, nil
	}
	rec.SetDeployment(*a.last)
	if !again || !res.Unchanged {
		if previous == rec.Image.ID {
			previous = "" // the family already pointed here: an earlier run moved it
		}
		p.Outcome, p.PreviousImageID = record.OutcomePromoted, previous
		rec.Promotion = p
	}
	if err := r.Publish(rec); err != nil {
		return false, err
	}
	report(r, rec, res)
	return true, nil
}

// contract checks, before anything is applied, that env's configuration declares the
// strategy's variables and the outputs kiln reads (docs/strategies.md): usage errors at
// promote.strategy's line.
func contract(cfg *config.Config, env string) error {
	if err := deployment.ImageVarDeclared(cfg, env); err != nil {
		return err
	}
	e, _ := cfg.Env(env) // ImageVarDeclared found it
	s := cfg.Promote.Strategy
	missing, err := strategy.Missing(s, cfg.Path(e.Terraform))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return cfg.Errorf("promote.strategy", "%s strategy: %s (%s) lacks %s (see docs/strategies.md)", s.Type, env, e.Terraform, strings.Join(missing, ", "))
	}
	return nil
}

// current reads what env runs from its state's outputs, without applying anything; an
// environment without a state runs nothing yet.
func current(ctx context.Context, r *step.Run, env string) (strategy.Current, error) {
	raw, err := deployment.PullState(ctx, r, env)
	if err != nil || len(raw) == 0 {
		return strategy.Current{}, err
	}
	st, err := terraform.ParseState(raw)
	if err != nil {
		return strategy.Current{}, err
	}
	cur, err := strategy.Read(outputs(deployment.Outputs(r, env, st.Outputs)))
	if err != nil {
		return cur, exitcode.New(exitcode.Usage, "%s: %v (see docs/strategies.md)", env, err)
	}
	return cur, nil
}

// planStrategy is --dry-run: it plans the rollout's first apply (the new slot up, without
// traffic).
func planStrategy(ctx context.Context, r *step.Run, env string, img environment.Image, cur strategy.Current) error {
	a, slot := strategy.FirstStep(cur, img.ID)
	if slot == "" {
		fmt.Fprintf(r.Out, "dry run: slot %s of %s already serves %s\n", cur.Live, env, img.ID)
		return nil
	}
	res, err := deployment.Apply(ctx, r, env, img, deployment.Options{DryRun: true, PlanReport: r.Path(r.Opts.Get("plan-report")), Promote: true,
		Vars: a.Vars(r.Config.Promote.Strategy.Variables.Names())})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "dry run: %s would %s: the %s strategy starts with slot %s running %s without traffic (%s)\n", env,
		map[bool]string{true: "change", false: "not change"}[res.Changed], r.Config.Promote.Strategy.Type, slot, img.ID, a)
	return nil
}

// applier applies the promote environment with a rollout's assignments.
type applier struct {
	r       *step.Run
	env     string
	img     environment.Image  // the promoted image, resolved (its disk's path for a local one)
	last    *record.Deployment // what the last apply left
	changed bool               // some apply changed something
}

func (a *applier) apply(ctx context.Context, as strategy.Assignment, image, phase string) (strategy.Outputs, error) {
	img := environment.Image{ID: image, Blank: image == ""}
	if image == a.img.ID {
		img = a.img
	}
	res, err := deployment.Apply(ctx, a.r, a.env, img, deployment.Options{Promote: true,
		Vars: as.Vars(a.r.Config.Promote.Strategy.Variables.Names())})
	if err != nil {
		return nil, err
	}
	a.last, a.changed = res.Deployment, a.changed || res.Changed
	return outputs(res.Deployment.Outputs), nil
}

// runChecks runs the slot checks (check.SlotChecks) against a slot's outputs and returns
// the first that failed, as "check NAME: why".
func runChecks(ctx context.Context, r *step.Run, rec *record.Record, env string, outs strategy.Outputs) (string, error) {
	in := map[string]record.Output{}
	for k, v := range outs {
		in[k] = record.Output{Value: v}
	}
	specs, err := check.SlotSpecs(r, rec, env, in)
	if err != nil {
		return "", err
	}
	results := (&checks.Runner{Now: r.Env.Now, Log: r.Log}).Run(ctx, specs)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	failed := ""
	for _, res := range results {
		status := "ok  "
		if !res.Passed {
			status = "FAIL"
			if failed == "" {
				failed = "check " + res.Name + ": " + res.Message
			}
		}
		r.Logf("%s %s: %s", status, res.Name, res.Message)
	}
	return failed, nil
}

// outputs keeps the values of the record's outputs (sensitive ones carry none).
func outputs(in map[string]record.Output) strategy.Outputs {
	out := strategy.Outputs{}
	for k, o := range in {
		if !o.Sensitive && len(o.Value) > 0 {
			out[k] = json.RawMessage(o.Value)
		}
	}
	return out
}

// report prints the outcome and one line per phase to stdout.
func report(r *step.Run, rec *record.Record, res *strategy.Result) {
	ro := res.Rollout
	if res.Promoted {
		fmt.Fprintf(r.Out, "promoted %s (%s) to %s with %s on slot %s; family %s now points to it\n",
			rec.Image.Name, rec.Image.ID, rec.Promotion.Environment, ro.Type, ro.Slot, rec.Image.Family)
	} else {
		fmt.Fprintf(r.Out, "not promoted: %s on slot %s rolled back at %s\n", ro.Type, ro.Slot, ro.Gate)
	}
	if len(ro.Phases) == 0 {
		return
	}
	fmt.Fprintf(r.Out, "  %-12s %6s %9s %7s %8s %9s  %s\n", "phase", "weight", "requests", "failed", "latency", "duration", "status")
	for _, ph := range ro.Phases {
		latency := "-"
		if ph.Requests > 0 {
			latency = fmt.Sprintf("%d ms", ph.LatencyMS)
		}
		fmt.Fprintf(r.Out, "  %-12s %5d%% %9d %7d %8s %9s  %s\n", ph.Name, ph.Weight, ph.Requests, ph.Errors, latency,
			(time.Duration(ph.DurationMS) * time.Millisecond).String(), ph.Status)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

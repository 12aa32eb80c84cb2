// Package rollout runs a blue-green or canary promote.strategy for a step: kiln-promote
// rolls the tested image out with it, kiln-rollback the image it returns to. The sequence
// itself is internal/strategy's; this package gives it the step's Terraform applies, the
// slot checks and the load balancer's statistics, and prints the outcome.
package rollout

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
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/check"
	"github.com/kiln-ci/kiln/internal/strategy"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Rollout moves environment Env to Image with Strategy.
type Rollout struct {
	Run      *step.Run
	Env      string
	Image    environment.Image // resolved (its disk's path for a local one)
	Strategy config.Strategy
	// Record gives the slot checks their templates' .Image and the baked package digest.
	Record *record.Record
	// UnknownPackages says Record has no package digest because none is known (a rollback
	// to an image whose record kiln does not have): the immutable checks then skip their
	// packages_unchanged assertion, saying so, instead of failing for want of a baseline.
	UnknownPackages bool
}

// Outcome is what a rollout did.
type Outcome struct {
	*strategy.Result
	Last    *record.Deployment // what the last apply left; nil when nothing was applied
	Changed bool               // some apply changed something
}

// Prepare checks, before anything is applied, that the environment's configuration
// declares the strategy's variables and outputs, and reads what it runs from its state.
func (ro *Rollout) Prepare(ctx context.Context) (strategy.Current, error) {
	if err := Contract(ro.Run.Config, ro.Strategy, ro.Env); err != nil {
		return strategy.Current{}, err
	}
	return Current(ctx, ro.Run, ro.Env)
}

// Do runs the sequence from cur (Prepare's).
func (ro *Rollout) Do(ctx context.Context, cur strategy.Current) (*Outcome, error) {
	r := ro.Run
	a := &applier{r: r, env: ro.Env, img: ro.Image, vars: ro.Strategy.Variables.Names()}
	s := &strategy.Rollout{Strategy: ro.Strategy, Image: ro.Image.ID, Apply: a.apply,
		Check: func(ctx context.Context, slot string, outs strategy.Outputs) (string, error) {
			return ro.runChecks(ctx, outs)
		},
		Stats: func(url, backend string) strategy.Stats { return strategy.Stats{URL: url, Backend: backend} },
		Sleep: sleep, Now: r.Env.Now, Log: r.Logf}
	res, err := s.Run(ctx, cur)
	if err != nil {
		return nil, err
	}
	return &Outcome{Result: res, Last: a.last, Changed: a.changed}, nil
}

// Contract checks that env's configuration declares s's variables and the outputs kiln
// reads (docs/strategies.md): usage errors at promote.strategy's line.
func Contract(cfg *config.Config, s config.Strategy, env string) error {
	if err := deployment.ImageVarDeclared(cfg, env); err != nil {
		return err
	}
	e, _ := cfg.Env(env) // ImageVarDeclared found it
	missing, err := strategy.Missing(s, cfg.Path(e.Terraform))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return cfg.Errorf("promote.strategy", "%s strategy: %s (%s) lacks %s (see docs/strategies.md)", s.Type, env, e.Terraform, strings.Join(missing, ", "))
	}
	return nil
}

// Current reads what env runs from its state's outputs, without applying anything; an
// environment without a state runs nothing yet.
func Current(ctx context.Context, r *step.Run, env string) (strategy.Current, error) {
	raw, err := deployment.PullState(ctx, r, env)
	if err != nil || len(raw) == 0 {
		return strategy.Current{}, err
	}
	st, err := terraform.ParseState(raw)
	if err != nil {
		return strategy.Current{}, err
	}
	cur, err := strategy.Read(Outputs(deployment.Outputs(r, env, st.Outputs)))
	if err != nil {
		return cur, exitcode.New(exitcode.Usage, "%s: %v (see docs/strategies.md)", env, err)
	}
	return cur, nil
}

// SteadyVars returns the strategy variables of env at rest with image: image alone in the
// slot that serves now (blue when none does), with all traffic. kiln-drift plans with them,
// so that a slot of a finished rollout is no drift.
func SteadyVars(ctx context.Context, r *step.Run, s config.Strategy, env, image string) (map[string]string, error) {
	cur, err := Current(ctx, r, env)
	if err != nil {
		return nil, err
	}
	live := cur.Live
	if live == "" {
		live = strategy.Blue
	}
	return strategy.Alone(live, image).Vars(s.Variables.Names()), nil
}

// Plan is --dry-run: it plans the rollout's first apply (the new slot up, without
// traffic) and says what it would do; what names the step's action ("promote", "roll back").
func (ro *Rollout) Plan(ctx context.Context, cur strategy.Current) error {
	r := ro.Run
	a, slot := strategy.FirstStep(cur, ro.Image.ID)
	if slot == "" {
		fmt.Fprintf(r.Out, "dry run: slot %s of %s already serves %s\n", cur.Live, ro.Env, ro.Image.ID)
		return nil
	}
	res, err := deployment.Apply(ctx, r, ro.Env, ro.Image, deployment.Options{DryRun: true, PlanReport: r.Path(r.Opts.Get("plan-report")), Promote: true,
		Vars: a.Vars(ro.Strategy.Variables.Names())})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "dry run: %s would %s: the %s strategy starts with slot %s running %s without traffic (%s)\n", ro.Env,
		map[bool]string{true: "change", false: "not change"}[res.Changed], ro.Strategy.Type, slot, ro.Image.ID, a)
	return nil
}

// applier applies the environment with a rollout's assignments.
type applier struct {
	r       *step.Run
	env     string
	img     environment.Image // the rolled out image, resolved
	vars    []string
	last    *record.Deployment
	changed bool
}

func (a *applier) apply(ctx context.Context, as strategy.Assignment, image, phase string) (strategy.Outputs, error) {
	img := environment.Image{ID: image, Blank: image == ""}
	if image == a.img.ID {
		img = a.img
	}
	res, err := deployment.Apply(ctx, a.r, a.env, img, deployment.Options{Promote: true, Vars: as.Vars(a.vars)})
	if err != nil {
		return nil, err
	}
	a.last, a.changed = res.Deployment, a.changed || res.Changed
	return Outputs(res.Deployment.Outputs), nil
}

// runChecks runs the slot checks (check.SlotChecks) against a slot's outputs and returns
// the first that failed, as "check NAME: why".
func (ro *Rollout) runChecks(ctx context.Context, outs strategy.Outputs) (string, error) {
	r := ro.Run
	in := map[string]record.Output{}
	for k, v := range outs {
		in[k] = record.Output{Value: v}
	}
	specs, err := check.SlotSpecs(r, ro.Record, ro.Env, in)
	if err != nil {
		return "", err
	}
	for i := range specs {
		if im := specs[i].Immutable; im != nil && im.PackagesUnchanged && im.BakedPackages == "" && ro.UnknownPackages {
			im.PackagesUnchanged = false
			r.Logf("check %s: packages_unchanged is not asserted: kiln knows no baked package digest of %s", specs[i].Name, ro.Image.ID)
		}
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

// Outputs keeps the values of the record's outputs (sensitive ones carry none).
func Outputs(in map[string]record.Output) strategy.Outputs {
	out := strategy.Outputs{}
	for k, o := range in {
		if !o.Sensitive && len(o.Value) > 0 {
			out[k] = json.RawMessage(o.Value)
		}
	}
	return out
}

// Report prints one line per phase of ro to stdout, after the outcome's line.
func Report(r *step.Run, ro *record.Rollout) {
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

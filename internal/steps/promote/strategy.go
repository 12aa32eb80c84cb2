package promote

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rollout"
)

// promoteStrategy is promote's path for a blue-green or canary promote.strategy, after the
// gate passed: internal/steps/rollout runs the sequence through the configuration's slot
// variables; this records the outcome and moves the family pointer only when the image
// was promoted. A rolled back promotion is recorded too, and exits 1 with one line naming
// the gate that failed.
func promoteStrategy(ctx context.Context, r *step.Run, reg registry.Registry, rec *record.Record, img environment.Image,
	env, mergeRequest string, dryRun bool) (bool, error) {
	s := r.Config.Promote.Strategy
	if r.Opts.Get("plan") != "" {
		return false, step.UsageError("%s: a %s promotion is several applies, which no single reviewed plan covers (promote.strategy)", r.Opts.Given("plan"), s.Type)
	}
	ro := &rollout.Rollout{Run: r, Env: env, Image: img, Strategy: s, Record: rec}
	cur, err := ro.Prepare(ctx)
	if err != nil {
		return false, err
	}
	if dryRun {
		return false, ro.Plan(ctx, cur)
	}
	res, err := ro.Do(ctx, cur)
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
	if again && res.Unchanged && !res.Changed && previous == rec.Image.ID {
		fmt.Fprintf(r.Out, "already promoted: %s serves %s alone in %s; nothing changed\n", res.Rollout.Slot, rec.Image.ID, env)
		return true, nil
	}
	rec.SetDeployment(*res.Last)
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

// report prints the outcome and one line per phase to stdout.
func report(r *step.Run, rec *record.Record, res *rollout.Outcome) {
	ro := res.Rollout
	if res.Promoted {
		fmt.Fprintf(r.Out, "promoted %s (%s) to %s with %s on slot %s; family %s now points to it\n",
			rec.Image.Name, rec.Image.ID, rec.Promotion.Environment, ro.Type, ro.Slot, rec.Image.Family)
	} else {
		fmt.Fprintf(r.Out, "not promoted: %s on slot %s rolled back at %s\n", ro.Type, ro.Slot, ro.Gate)
	}
	rollout.Report(r, ro)
}

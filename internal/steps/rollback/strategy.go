package rollback

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rollout"
	"github.com/kiln-ci/kiln/internal/strategy"
)

// slots is the promote environment's strategy and what its slots run, read once per run.
type slots struct {
	ro  *rollout.Rollout
	cur strategy.Current
}

// readSlots checks the promote environment's configuration against promote.strategy's
// contract and reads its slots from the state; nil without a strategy. A rollback skips a
// canary's steps: the image already served all of the environment's traffic, and a
// rollback is urgent.
func readSlots(ctx context.Context, r *step.Run) (*slots, error) {
	s := r.Config.Promote.Strategy
	if s.IsReplace() {
		return nil, nil
	}
	s.Steps = nil
	ro := &rollout.Rollout{Run: r, Env: deployment.PromoteEnvironment(r), Strategy: s}
	cur, err := ro.Prepare(ctx)
	if err != nil {
		return nil, err
	}
	return &slots{ro: ro, cur: cur}, nil
}

// rollBack returns the environment to img through the slots: img comes up in the idle
// slot next to the serving one, passes the slot checks, takes all traffic at once and is
// watched for the drain before the other slot is removed. When img fails a gate, traffic
// stays on (or goes back to) the serving slot, the family pointer stays, and
// kiln-rollback exits 1 naming the gate.
func (sl *slots) rollBack(ctx context.Context, reg registry.Registry, fam *registry.Family, img *registry.Image,
	target environment.Image, packages string) error {
	ro, cur := sl.ro, sl.cur
	r, s, env := ro.Run, ro.Strategy, ro.Env
	rec, known, err := checkRecord(r, img, packages)
	if err != nil {
		return err
	}
	ro.Image, ro.Record, ro.UnknownPackages = target, rec, !known
	if r.Opts.Bool("dry-run") {
		if err := ro.Plan(ctx, cur); err != nil {
			return err
		}
		fmt.Fprintf(r.Out, "dry run: would roll family %s back from %s to %s with %s\n", fam.Name, orNone(fam.Current), img.ID, s.Type)
		return nil
	}
	res, err := ro.Do(ctx, cur)
	if err != nil {
		return err
	}
	if !res.Promoted {
		fmt.Fprintf(r.Out, "not rolled back: %s on slot %s failed at %s; family %s still points to %s\n", s.Type, res.Rollout.Slot,
			res.Rollout.Gate, fam.Name, orNone(fam.Current))
		rollout.Report(r, res.Rollout)
		return exitcode.New(exitcode.Failed, "rollback to %s not done: %s", img.ID, res.Failed())
	}
	if err := point(ctx, r, reg, fam, img, env); err != nil {
		return err
	}
	if fam.Current == img.ID {
		fmt.Fprintf(r.Out, "returned %s to family %s's current image %s (%s), alone on slot %s (%s)\n", env, fam.Name,
			img.ID, img.Name, res.Rollout.Slot, s.Type)
	} else {
		fmt.Fprintf(r.Out, "rolled family %s back from %s to %s (%s); %s serves it on slot %s (%s)\n", fam.Name, orNone(fam.Current),
			img.ID, img.Name, env, res.Rollout.Slot, s.Type)
	}
	rollout.Report(r, res.Rollout)
	return nil
}

// checkRecord is what the slot checks render with: img as the registry describes it, with
// the baked package digest that its verified attestation vouches for (packages); without
// one, the digest of the --attestation record of img when one is given (unsigned, like
// everything else without an attest block). known says whether a digest was found.
func checkRecord(r *step.Run, img *registry.Image, packages string) (*record.Record, bool, error) {
	if p := r.Opts.Get("attestation"); p != "" && packages == "" {
		rec, err := record.Read(r.Path(p))
		if err != nil {
			return nil, false, err
		}
		if rec.Image.ID == img.ID {
			packages = rec.Image.PackagesDigest
		}
	}
	return &record.Record{Image: record.Image{ID: img.ID, Name: img.Name, Family: img.Family, PackagesDigest: packages}}, packages != "", nil
}

// unsettled says why the environment does not serve the family's current image alone
// (another image serves, or a second slot still runs), "" when it does, when the family
// has no current image or nothing serves, or without a strategy (sl nil).
func (sl *slots) unsettled(fam *registry.Family) string {
	if sl == nil || fam.Current == "" || sl.cur.Live == "" {
		return ""
	}
	cur, env := sl.cur, sl.ro.Env
	other := strategy.Other(cur.Live)
	switch {
	case cur.Images[cur.Live] != fam.Current:
		return fmt.Sprintf("%s serves %s on slot %s, not the family's current image %s (an interrupted rollout): returning to %s",
			env, cur.Images[cur.Live], cur.Live, fam.Current, fam.Current)
	case cur.Images[other] != "":
		return fmt.Sprintf("%s still runs %s on slot %s next to the family's current image on slot %s (an interrupted rollout): removing it",
			env, cur.Images[other], other, cur.Live)
	}
	return ""
}

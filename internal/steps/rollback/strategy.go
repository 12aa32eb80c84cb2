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

// rollBackStrategy returns env to img through promote.strategy's slots: img comes up in
// the idle slot next to the serving one, passes the slot checks, takes all traffic at once
// and is watched for the drain before the other slot is removed. A canary's steps are
// skipped: the image already served all of env's traffic, and a rollback is urgent. When
// img fails a gate, traffic stays on (or goes back to) the serving slot, the family
// pointer stays, and kiln-rollback exits 1 naming the gate.
func rollBackStrategy(ctx context.Context, r *step.Run, reg registry.Registry, fam *registry.Family, img *registry.Image,
	env string, target environment.Image, packages string) error {
	s := r.Config.Promote.Strategy
	s.Steps = nil
	rec, known, err := checkRecord(r, img, packages)
	if err != nil {
		return err
	}
	ro := &rollout.Rollout{Run: r, Env: env, Image: target, Strategy: s, Record: rec, UnknownPackages: !known}
	cur, err := ro.Prepare(ctx)
	if err != nil {
		return err
	}
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

// unsettledRollout says why the promote environment does not serve the family's current
// image alone through promote.strategy's slots (another image serves, or a second slot
// still runs), "" when it does, when the family has no current image, or without a
// strategy.
func unsettledRollout(ctx context.Context, r *step.Run, fam *registry.Family) (string, error) {
	if r.Config.Promote.Strategy.IsReplace() || fam.Current == "" {
		return "", nil
	}
	env := deployment.PromoteEnvironment(r)
	if err := rollout.Contract(r.Config, r.Config.Promote.Strategy, env); err != nil {
		return "", err
	}
	cur, err := rollout.Current(ctx, r, env)
	if err != nil || cur.Live == "" {
		return "", err
	}
	other := strategy.Other(cur.Live)
	switch {
	case cur.Images[cur.Live] != fam.Current:
		return fmt.Sprintf("%s serves %s on slot %s, not the family's current image %s (an interrupted rollout): returning to %s",
			env, cur.Images[cur.Live], cur.Live, fam.Current, fam.Current), nil
	case cur.Images[other] != "":
		return fmt.Sprintf("%s still runs %s on slot %s next to the family's current image on slot %s (an interrupted rollout): removing it",
			env, cur.Images[other], other, cur.Live), nil
	}
	return "", nil
}

// Package rollback is kiln-rollback: it points the image family back at the previous
// promoted image (from the registry's promotion history) or at --to ID, and applies the
// promote environment with that exact image id. The promotion gate (internal/gate) refuses
// an image outside the promotion history, OBSOLETE or DELETED, of another family, or
// without a valid attestation when kiln.yaml asks for one (exit 8). Rolling back twice
// returns to where it started. With a blue-green or canary promote.strategy the image
// returns through the slots, without dropping a request (strategy.go).
package rollback

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-rollback.
type Step struct{}

func (Step) Name() string   { return "rollback" }
func (Step) String() string { return "rolling back the image family" }
func (Step) Description() string {
	return "Returns the promote environment to the family's previous promoted image (or --to ID from\n" +
		"the promotion history) and moves the family pointer back. Refuses (exit 8) an image never\n" +
		"promoted in the family, OBSOLETE, DELETED, revoked, or without a valid attestation when\n" +
		"kiln.yaml has an attest block. --dry-run plans instead."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-rollback", "kiln-rollback --to local:sha256:3f5a... --dry-run"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Rolls the image family back: to the image of the latest promotion before the current one, as\n" +
		"the registry's promotion history records it, or to --to ID, which must be in that history.\n" +
		"Refuses (exit 8) an image that was never promoted in the family, is OBSOLETE or DELETED or of\n" +
		"another family, and, when kiln.yaml has an attest block, one whose signed test attestation is\n" +
		"missing or does not verify (the local registry keeps each promoted image's attestation;\n" +
		"--attestation gives it for other registries). A DEPRECATED image becomes READY again.\n" +
		"Applies the promote environment (promote.environment, default prod) with that exact id, then\n" +
		"moves the family pointer, recording the rollback as a promotion. Twice in a row returns to\n" +
		"where it was. --dry-run plans instead.\n" +
		"With a blue-green or canary promote.strategy, the image comes up in the idle slot next to the\n" +
		"serving one, passes the checks that list the environment, takes all traffic at once (a canary's\n" +
		"steps are skipped) and is watched for the drain before the other slot is removed. If it fails a\n" +
		"gate, traffic stays on (or goes back to) the serving slot, the pointer stays, and the exit is 1."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "to", Env: "KILN_ROLLBACK_TO", Help: "the image id to return to (default: the previous promoted image)"},
		deployment.PromoteEnvironmentFlag,
		{Name: "attestation", Env: "KILN_ROLLBACK_ATTESTATION", Help: "the kiln-image.json holding the target image's signed attestation, for registries that keep none"},
		{Name: "allow-older-checks", Bool: true, Help: "with attest:, return to an image tested with an older test block than kiln.yaml's"},
		step.DryRun,
	}
}
func (Step) EnvVars() []string { return []string{open.EnvSummary} }

// Run rolls the family back.
func (Step) Run(ctx context.Context, r *step.Run) error {
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return err
	}
	family := r.Config.Image.Family
	fam, err := reg.Pointer(ctx, family)
	if err != nil {
		return err
	}
	// With a strategy, an interrupted rollout can leave the environment serving another
	// image than the family's current one (kiln-promote stopped during the drain): going
	// back to the current image is then the rollback.
	var sl *slots
	if fam.Current != "" { // else nothing serves from this family: the gate refuses every target
		if sl, err = readSlots(ctx, r); err != nil {
			return err
		}
	}
	unsettled := sl.unsettled(fam)
	id := r.Opts.Get("to")
	if id == "" && unsettled != "" {
		id = fam.Current
		r.Logf("%s", unsettled)
	}
	if id == "" {
		if id, err = gate.RollbackTarget(ctx, reg, fam, r.Env.Now()); err != nil {
			return err
		}
		if id == "" {
			return exitcode.New(exitcode.PromotionRefused, "rollback refused: family %s has no earlier promoted image that is not revoked (%d promotions recorded)",
				fam.Name, len(fam.History))
		}
	}
	if id == fam.Current && unsettled == "" {
		if _, err := reg.Lookup(ctx, id); err != nil {
			return err
		}
		return step.Skip("family %s already points to %s", family, id)
	}
	verify, err := gate.Verifier(r.Config, r.Vault)
	if err != nil {
		return err
	}
	var att *record.Envelope
	if verify != nil {
		if att, err = attestation(ctx, r, reg, id); err != nil {
			return err
		}
	}
	g := gate.Gate{Config: r.Config, Registry: reg, Verify: verify, Warn: r.Logf, Now: r.Env.Now}
	img, packages, err := g.Rollback(ctx, fam, id, att, r.Opts.Bool("allow-older-checks"))
	if err != nil {
		return err
	}
	return apply(ctx, r, reg, fam, img, packages, sl)
}

// apply deploys img to the environment and moves the family pointer back to it, through
// the slots of sl (read here when Run did not) when the environment has a strategy. packages is the
// image's baked package digest when a verified attestation vouches for one.
func apply(ctx context.Context, r *step.Run, reg registry.Registry, fam *registry.Family, img *registry.Image, packages string, sl *slots) error {
	env := deployment.PromoteEnvironment(r)
	target, err := deployment.Resolve(ctx, r, img.ID)
	if err != nil {
		return err
	}
	if !r.Config.Promote.Strategy.IsReplace() { // blue-green, canary: strategy.go
		if sl == nil {
			if sl, err = readSlots(ctx, r); err != nil {
				return err
			}
		}
		return sl.rollBack(ctx, reg, fam, img, target, packages)
	}
	res, err := deployment.Apply(ctx, r, env, target, deployment.Options{DryRun: r.Opts.Bool("dry-run"), Promote: true})
	if err != nil {
		return err
	}
	if res.Deployment == nil {
		fmt.Fprintf(r.Out, "dry run: would roll family %s back from %s to %s\n", fam.Name, orNone(fam.Current), img.ID)
		return nil
	}
	if err := point(ctx, r, reg, fam, img, env); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "rolled family %s back from %s to %s (%s); %s applied with %s\n", fam.Name, orNone(fam.Current), img.ID, img.Name, env, img.ID)
	return nil
}

// point makes img READY again if it was DEPRECATED and moves the family pointer to it, once
// env runs it.
func point(ctx context.Context, r *step.Run, reg registry.Registry, fam *registry.Family, img *registry.Image, env string) error {
	if img.State == registry.Deprecated {
		if err := reg.SetState(ctx, img.ID, registry.Ready, registry.Dates{}); err != nil {
			return fmt.Errorf("%s now runs %s, but it stays DEPRECATED: %w", env, img.ID, err)
		}
	}
	if fam.Current == img.ID {
		return nil // an unsettled rollout went back to the current image: the pointer stays
	}
	if _, err := reg.Point(ctx, fam.Name, img.ID, env, r.Env.Now().UTC()); err != nil {
		return fmt.Errorf("%s now runs %s, but the family pointer still names %s: %w", env, img.ID, orNone(fam.Current), err)
	}
	return nil
}

// attestation finds the signed test attestation of image id: in the --attestation record,
// else in the registry; nil when there is none.
func attestation(ctx context.Context, r *step.Run, reg registry.Registry, id string) (*record.Envelope, error) {
	if p := r.Opts.Get("attestation"); p != "" {
		rec, err := record.Read(r.Path(p))
		if err != nil {
			return nil, err
		}
		if rec.Image.ID != id || rec.Tests == nil {
			return nil, exitcode.New(exitcode.RecordInvalid, "%s: not a tested record of image %s", p, id)
		}
		return rec.Tests.Attestation, nil
	}
	store, ok := reg.(registry.Attestations)
	if !ok {
		return nil, nil
	}
	b, err := store.Attestation(ctx, id)
	if err != nil || b == nil {
		return nil, err
	}
	var env record.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, nil // unreadable: the gate refuses the image for want of one
	}
	return &env, nil
}

func orNone(id string) string {
	if id == "" {
		return "(none)"
	}
	return id
}

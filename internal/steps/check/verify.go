package check

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// verify is kiln-test --environment E for an environment other than test.environment (prod
// after kiln-promote): the checks that list E run against the record's deployment of E,
// bound to E's live state like the tests, and the result goes to the record's
// verifications[E]. It never touches the record's tests, which the promotion gate reads,
// and signs nothing. Exit 1 when a check fails.
func verify(ctx context.Context, r *step.Run, rec *record.Record, d *record.Deployment, env string, cs []config.Check) error {
	run, err := runBound(ctx, r, rec, d, env, deployer(r.Config, env), cs)
	if err != nil {
		return err
	}
	v := verification(run, rec.Image.ID, r.Env.Now().UTC(), r.Opts.Get("junit"))
	v.ChecksDigest = r.Config.ChecksDigest()
	if err := writeJUnit(r.Path(r.Opts.Get("junit")), run.results, run.started); err != nil {
		return err
	}
	rec.SetVerification(env, v)
	if err := r.Publish(rec); err != nil {
		return err
	}
	report(r, run.results)
	if v.Status != record.StatusPassed {
		return fmt.Errorf("verification of %s: %d of %d checks failed: %s", env, v.Failed, v.Total, failedNames(run.results))
	}
	checksWord := "checks"
	if v.Total == 1 {
		checksWord = "check"
	}
	fmt.Fprintf(r.Out, "verified %s: %d %s passed against image %s\n", env, v.Total, checksWord, rec.Image.ID)
	return nil
}

// verification turns a run's results into the record's verification of an environment.
func verification(run *ran, imageID string, at time.Time, junit string) record.Verification {
	t := summarize(run.results, imageID, "", at, junit)
	return record.Verification{Status: t.Status, Passed: t.Passed, Failed: t.Failed, Total: t.Total, ImageID: imageID, At: at,
		Checks: t.Checks, JUnit: junit, StateLineage: run.state.Lineage, StateSerial: run.state.Serial, StateDigest: run.state.Digest}
}

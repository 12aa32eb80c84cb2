package check

import (
	"slices"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// SlotSpecs returns the checks a new slot of environment env must pass before it takes
// traffic (kiln-promote's and kiln-rollback's blue-green and canary strategies), rendered as
// kiln-test renders them but with the slot's outputs: the checks that run in env (their
// `environments` list it), or, when none does, the checks that vouched for rec's image
// (those of test.environment). A check that cannot be rendered is a usage error.
func SlotSpecs(r *step.Run, rec *record.Record, env string, outputs map[string]record.Output) ([]checks.Spec, error) {
	rm := remote{cfg: r.Config, getenv: r.Env.Getenv, dir: r.Env.Dir, gossFlag: r.Env.Getenv("KILN_GOSS"), packages: rec.Image.PackagesDigest}
	cs := SlotChecks(r.Config.Test, env)
	specs, err := specsFor(cs, templateData(rec, env, outputs), rm)
	return specs, exitcode.Wrap(exitcode.Usage, err)
}

// SlotChecks returns the checks a new slot of env runs: those listing env in
// `environments`, else those of test.environment.
func SlotChecks(t config.Test, env string) []config.Check {
	var cs []config.Check
	for _, c := range t.Checks {
		if slices.Contains(c.Environments, env) {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return t.ChecksFor(t.Environment)
	}
	return cs
}

package check

import (
	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// TestSpecs returns the checks that vouched for rec's image (test.checks that run in
// test.environment), rendered as kiln-test renders them, but with outputs: kiln-promote's
// blue-green and canary strategies run them against a new slot, with that slot's outputs,
// before it takes traffic. env is the environment the slot belongs to ({{ .Environment }}).
// A check that cannot be rendered is a usage error.
func TestSpecs(r *step.Run, rec *record.Record, env string, outputs map[string]record.Output) ([]checks.Spec, error) {
	rm := remote{cfg: r.Config, getenv: r.Env.Getenv, dir: r.Env.Dir, gossFlag: r.Env.Getenv("KILN_GOSS"), packages: rec.Image.PackagesDigest}
	cs := r.Config.Test.ChecksFor(r.Config.Test.Environment)
	specs, err := specsFor(cs, templateData(rec, env, outputs), rm)
	return specs, exitcode.Wrap(exitcode.Usage, err)
}

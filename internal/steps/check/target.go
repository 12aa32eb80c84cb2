package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// targetEnvironment is --environment (KILN_ENVIRONMENT), else test.environment; it must be one of
// kiln.yaml's environments.
func targetEnvironment(r *step.Run) (string, error) {
	name := r.Opts.Get("environment")
	if name == "" {
		return r.Config.Test.Environment, nil
	}
	if _, ok := r.Config.Environments[name]; !ok {
		return "", exitcode.New(exitcode.Usage, "%s: no environment %q in %s (have %s)", r.Opts.Given("environment"), name,
			r.Config.File, strings.Join(r.Config.EnvironmentNames(), ", "))
	}
	return name, nil
}

// deployed returns the record's deployment of env, which must run the record's image.
func deployed(r *step.Run, rec *record.Record, env string) (*record.Deployment, error) {
	d := rec.Deployment(env)
	if d == nil {
		return nil, exitcode.New(exitcode.RecordInvalid, "%s: no deployment of %s in the record (run %s first)", r.Opts.Get("record"), env, deployer(r.Config, env))
	}
	if d.ImageID != rec.Image.ID {
		return nil, exitcode.New(exitcode.RecordInvalid, "%s: %s runs %s, not the record's image %s", r.Opts.Get("record"), env, d.ImageID, rec.Image.ID)
	}
	if !d.Destroyed.IsZero() {
		return nil, refuse("%s was destroyed at %s (kiln-destroy-dev): deploy the image again (%s) before testing it",
			env, d.Destroyed.Format(time.RFC3339), deployer(r.Config, env))
	}
	return d, nil
}

// deployer names the step that deploys env, for messages.
func deployer(cfg *config.Config, env string) string {
	switch env {
	case cfg.Promote.Environment:
		return "kiln-promote"
	case deployment.EnvironmentFlag.Default:
		return "kiln-deploy-dev"
	}
	return "kiln-deploy-dev --environment " + env
}

// report prints one line per check to stdout.
func report(r *step.Run, results []checks.Result) {
	for _, res := range results {
		status := "ok  "
		if !res.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(r.Out, "%s %s: %s\n", status, res.Name, res.Message)
	}
}

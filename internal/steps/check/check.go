// Package check is kiln-test: it runs kiln.yaml's checks (HTTP, TCP, a command over SSH,
// goss over SSH) against the test environment's Terraform outputs, each retried until its
// timeout, writes a JUnit XML report (one testcase per check, or per goss assertion) and
// records the result, with the image id the checks ran against, in the record.
package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-test.
type Step struct{}

func (Step) Name() string   { return "test" }
func (Step) String() string { return "testing the deployed image" }
func (Step) Description() string {
	return "Runs kiln.yaml's test checks against the record's deployment of test.environment, with the\n" +
		"environment's live Terraform outputs; refuses (exit 1) when the state is not the one the record\n" +
		"deployed or changes during the checks. Records the result (signed with an attest block) and\n" +
		"writes a JUnit report. Exit 1 when a check fails."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-test", "kiln-test --junit report.xml"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Runs kiln.yaml's test.checks against the deployment of test.environment (dev) that the\n" +
		"record names, filling {{ .Outputs.<name> }} from the environment's live Terraform outputs; each\n" +
		"check is retried until its timeout. Before and after the checks it reads the environment's\n" +
		"Terraform state: it must be the state the record's deployment left (same lineage), run the\n" +
		"record's image, and not change while the checks run; otherwise kiln-test refuses to vouch\n" +
		"(exit 1) and records nothing. Writes a JUnit XML report and records the result, with the image\n" +
		"id, state lineage and serial, the digest of the test block and, with an attest block, a signed\n" +
		"in-toto attestation, in kiln-image.json. Exit 1 when a check fails."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "junit", Env: "KILN_JUNIT", Default: "kiln-junit.xml", Help: "path of the JUnit XML report"},
		{Name: "goss", Env: "KILN_GOSS", Help: "the goss binary that goss checks copy to the machine, unless kiln.yaml names one (linux/amd64; default: .tools/bin/goss, then PATH)"},
	}
}
func (Step) EnvVars() []string {
	return []string{"KILN_ATTEST_KEY  the path of the PEM private key that signs the attestation (attest.private_key_env names another variable)"}
}

// Run runs the checks against the live deployment and records what they vouch for.
func (Step) Run(ctx context.Context, r *step.Run) error {
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	cfg := r.Config
	if len(cfg.Test.Checks) == 0 {
		return exitcode.New(exitcode.Usage, "%s: test.checks is empty: no check would vouch for the image", cfg.File)
	}
	envName := cfg.Test.Environment
	d := rec.Deployment(envName)
	if d == nil {
		return exitcode.New(exitcode.RecordInvalid, "%s: no deployment of %s in the record (run kiln-deploy-dev first)", r.Opts.Get("record"), envName)
	}
	if d.ImageID != rec.Image.ID {
		return exitcode.New(exitcode.RecordInvalid, "%s: %s runs %s, not the record's image %s", r.Opts.Get("record"), envName, d.ImageID, rec.Image.ID)
	}
	if err := ownCommit(r, rec); err != nil {
		return err
	}
	sig, err := signer(r)
	if err != nil {
		return err
	}
	l, err := openLive(ctx, r, envName)
	if err != nil {
		return err
	}
	defer l.close()
	before, err := l.state(ctx)
	if err != nil {
		return err
	}
	if err := bound(rec, d, before, envName); err != nil {
		return err
	}
	rm := remote{cfg: cfg, getenv: r.Env.Getenv, dir: r.Env.Dir, gossFlag: r.Opts.Get("goss")}
	specs, err := specsFor(cfg.Test.Checks, templateData(rec, envName, deployment.Outputs(r, envName, before.Outputs)), rm)
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	started := r.Env.Now()
	runner := &checks.Runner{Now: r.Env.Now, Log: r.Log}
	results := runner.Run(ctx, specs)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	after, err := l.state(ctx)
	if err != nil {
		return err
	}
	if err := unchanged(before, after, rec.Image.ID, envName); err != nil {
		return err
	}
	t := summarize(results, rec.Image.ID, envName, r.Env.Now().UTC(), r.Opts.Get("junit"))
	t.Family, t.ChecksDigest = cfg.Image.Family, cfg.ChecksDigest()
	t.StateLineage, t.StateSerial, t.StateDigest = before.Lineage, before.Serial, before.Digest
	if sig != nil {
		if t.Attestation, err = sign(ctx, sig, rec, t, r.CI.Info().PipelineURL); err != nil {
			return err
		}
	}
	if err := writeJUnit(r.Path(r.Opts.Get("junit")), results, started); err != nil {
		return err
	}
	rec.Tests = t
	if err := r.Publish(rec); err != nil {
		return err
	}
	for _, res := range results {
		status := "ok  "
		if !res.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(r.Out, "%s %s: %s\n", status, res.Name, res.Message)
	}
	if t.Status != record.StatusPassed {
		return fmt.Errorf("%d of %d checks failed: %s", t.Failed, t.Total, failedNames(results))
	}
	return nil
}

// templateData is what check URLs and addresses are rendered with: the test environment's
// live outputs (sensitive ones left out) and the image.
func templateData(rec *record.Record, env string, outputs map[string]record.Output) map[string]any {
	outs := map[string]any{}
	for k, o := range outputs {
		if o.Sensitive || len(o.Value) == 0 {
			continue
		}
		var v any
		if json.Unmarshal(o.Value, &v) == nil {
			outs[k] = v
		}
	}
	return map[string]any{
		"Outputs":     outs,
		"Image":       map[string]string{"ID": rec.Image.ID, "Name": rec.Image.Name, "Family": rec.Image.Family},
		"Environment": env,
	}
}

// specsFor maps kiln.yaml's checks to the checks package's, rendering their templates.
func specsFor(cs []config.Check, data map[string]any, rm remote) ([]checks.Spec, error) {
	var specs []checks.Spec
	for _, c := range cs {
		s := checks.Spec{Name: c.Name, Timeout: c.Timeout.Duration, Interval: c.Interval.Duration}
		var err error
		switch {
		case c.SSH != nil:
			s.Kind = "ssh"
			if s.SSH, err = rm.sshSpec(c.Name, c.SSH, data); err != nil {
				return nil, err
			}
		case c.Goss != nil:
			s.Kind = "goss"
			if s.Goss, err = rm.gossSpec(c.Name, c.Goss, data); err != nil {
				return nil, err
			}
		case c.HTTP != nil:
			url, err := checks.Render(c.HTTP.URL, data)
			if err != nil {
				return nil, fmt.Errorf("check %s: url: %w", c.Name, err)
			}
			s.Kind = "http"
			s.HTTP = &checks.HTTP{URL: url, Method: c.HTTP.Method, Status: c.HTTP.Status, BodyContains: c.HTTP.BodyContains, Headers: c.HTTP.Headers}
		case c.TCP != nil:
			addr, err := checks.Render(c.TCP.Address, data)
			if err != nil {
				return nil, fmt.Errorf("check %s: address: %w", c.Name, err)
			}
			s.Kind = "tcp"
			s.TCP = &checks.TCP{Address: addr}
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// summarize turns the results into the record's tests section.
func summarize(results []checks.Result, imageID, env string, at time.Time, junit string) *record.Tests {
	t := &record.Tests{Status: record.StatusPassed, ImageID: imageID, Environment: env, At: at, JUnit: junit, Total: len(results)}
	for _, res := range results {
		c := record.CheckResult{Name: res.Name, Kind: res.Kind, Status: record.StatusPassed, Message: res.Message,
			Attempts: res.Attempts, DurationMS: res.Duration.Milliseconds()}
		if res.Passed {
			t.Passed++
		} else {
			t.Failed++
			c.Status = record.StatusFailed
			t.Status = record.StatusFailed
		}
		t.Checks = append(t.Checks, c)
	}
	return t
}

func failedNames(results []checks.Result) string {
	var names []string
	for _, r := range results {
		if !r.Passed {
			names = append(names, r.Name)
		}
	}
	return strings.Join(names, ", ")
}

// writeJUnit writes the report atomically.
func writeJUnit(path string, results []checks.Result, started time.Time) error {
	var buf bytes.Buffer
	if err := checks.WriteJUnit(&buf, "kiln-test", results, started); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

// ownCommit refuses, in a CI job, a record baked from another commit than the one the job
// runs for (KILN_SOURCE_SHA, else the CI's): kiln-test vouches for the record's source
// commit, and must not put its signature on a commit another branch's record claims.
func ownCommit(r *step.Run, rec *record.Record) error {
	if r.CI.Name() == "local" {
		return nil
	}
	if want := r.SourceCommit(); want != "" && rec.Source.Commit != want {
		return refuse("the record was baked from commit %s, and this job runs for %s", rec.Source.Commit, want)
	}
	return nil
}

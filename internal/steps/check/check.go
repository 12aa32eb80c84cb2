// Package check is kiln-test: it runs kiln.yaml's checks (HTTP, TCP, a command over SSH,
// goss over SSH, the facts of an immutable server) against the test environment's Terraform
// outputs, each retried until its timeout, writes a JUnit XML report (one testcase per check,
// or per goss assertion) and records the result, with the image id the checks ran against,
// in the record. With --environment naming another environment (prod), it verifies that one
// with the checks that list it, and records the run apart from the tests (verify.go).
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
		"writes a JUnit report. Exit 1 when a check fails. --environment prod verifies prod instead, with\n" +
		"the checks whose environments list it, and records that run apart from the tests."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-test", "kiln-test --junit report.xml",
		"kiln-test --environment prod   # after kiln-promote: prod's checks, recorded under verifications"}
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
		"in-toto attestation, in kiln-image.json. Exit 1 when a check fails.\n\n" +
		"A check runs in test.environment unless its environments key lists others. --environment E\n" +
		"(another environment than test.environment, such as prod after kiln-promote) is a verification:\n" +
		"the record must show E deployed with its image, the same state binding applies, the checks that\n" +
		"list E run, and the result goes to verifications.E in kiln-image.json; the tests, which the\n" +
		"promotion gate reads, stay as they are, and nothing is signed. No check for E: exit 2."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "junit", Env: "KILN_JUNIT", Default: "kiln-junit.xml", Help: "path of the JUnit XML report"},
		{Name: "goss", Env: "KILN_GOSS", Help: "the goss binary that goss checks copy to the machine, unless kiln.yaml names one (linux/amd64; default: .tools/bin/goss, then PATH)"},
		{Name: "environment", Env: "KILN_ENVIRONMENT", Help: "the environment to check (default test.environment); another one is a verification run, recorded apart from the tests"},
	}
}
func (Step) EnvVars() []string {
	return []string{"KILN_ATTEST_KEY  the path of the PEM private key that signs the attestation (attest.private_key_env names another variable)"}
}

// Run runs the checks against the live deployment and records what they vouch for; with
// --environment naming another environment than test.environment, it verifies that one.
func (Step) Run(ctx context.Context, r *step.Run) error {
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	cfg := r.Config
	if len(cfg.Test.Checks) == 0 {
		return exitcode.New(exitcode.Usage, "%s: test.checks is empty: no check would vouch for the image", cfg.File)
	}
	envName, err := targetEnvironment(r)
	if err != nil {
		return err
	}
	cs := cfg.Test.ChecksFor(envName)
	if len(cs) == 0 {
		return exitcode.New(exitcode.Usage, "%s: no check of test.checks runs in %s (a check runs there when its environments list it)", cfg.File, envName)
	}
	d, err := deployed(r, rec, envName)
	if err != nil {
		return err
	}
	if envName != cfg.Test.Environment {
		return verify(ctx, r, rec, d, envName, cs)
	}
	if err := ownCommit(r, rec); err != nil {
		return err
	}
	sig, err := signer(r)
	if err != nil {
		return err
	}
	run, err := runBound(ctx, r, rec, d, envName, deployer(cfg, envName), cs)
	if err != nil {
		return err
	}
	results, before := run.results, run.state
	t := summarize(results, rec.Image.ID, envName, r.Env.Now().UTC(), r.Opts.Get("junit"))
	t.Family, t.ChecksDigest = cfg.Image.Family, cfg.ChecksDigest()
	t.StateLineage, t.StateSerial, t.StateDigest = before.Lineage, before.Serial, before.Digest
	if sig != nil {
		if t.Attestation, err = sign(ctx, sig, rec, t, r.CI.Info().PipelineURL); err != nil {
			return err
		}
	}
	if err := writeJUnit(r.Path(r.Opts.Get("junit")), results, run.started); err != nil {
		return err
	}
	rec.Tests = t
	if err := r.Publish(rec); err != nil {
		return err
	}
	report(r, results)
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
		case c.Immutable != nil:
			s.Kind = "immutable"
			if s.Immutable, err = rm.immutableSpec(c.Name, c.Immutable, data); err != nil {
				return nil, err
			}
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

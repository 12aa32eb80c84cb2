package gate_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/attest/attesttest"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// kilnYAML promotes family web from dev (test.environment's default) to prod (the default
// promote.environment); %s is the attest block's public key, next to kiln.yaml.
const kilnYAML = `version: 1
image: {family: web}
packer: {template: packer/}
environments:
  dev: {terraform: tf/}
  prod: {terraform: tf/}
test:
  checks:
    - name: up
      http: {url: "http://127.0.0.1:8080/healthz"}
attest:
  public_key: %s
`

// Values the records of the tests share.
const (
	lineage = "5f1c0a2e-0000-4000-8000-000000000001"
	commit  = "0123456789abcdef0123456789abcdef01234567"
	missing = "local:sha256:0000000000000000000000000000000000000000000000000000000000000000"
)

// fixture is one gate's world: kiln.yaml, a local registry whose clock moves an hour per
// import, the key that signs attestations and the warnings the gate gave.
type fixture struct {
	cfg    *config.Config
	reg    *local.Registry
	signer attest.Signer
	src    string // where image files are written before import
	warned []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	priv, pub := attesttest.KeyPair(t, dir)
	path := filepath.Join(dir, "kiln.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, kilnYAML, filepath.Base(pub)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	now := func() time.Time { n++; return t0.Add(time.Duration(n) * time.Hour) }
	return &fixture{cfg: cfg, reg: &local.Registry{Dir: t.TempDir(), Now: now}, signer: signer, src: t.TempDir()}
}

// gate returns the gate under test, verifying attestations when verify is set.
func (f *fixture) gate(t *testing.T, verify bool) *gate.Gate {
	t.Helper()
	g := &gate.Gate{Config: f.cfg, Registry: f.reg, Warn: func(format string, args ...any) {
		f.warned = append(f.warned, fmt.Sprintf(format, args...))
	}}
	if verify {
		v, err := gate.Verifier(f.cfg, nil)
		if err != nil || v == nil {
			t.Fatalf("Verifier = %v, %v", v != nil, err)
		}
		g.Verify = v
	}
	return g
}

// image imports a one-file image called name into family and returns its id; each import
// is an hour younger than the one before.
func (f *fixture) image(t *testing.T, name, family string) string {
	t.Helper()
	p := filepath.Join(f.src, name+".qcow2")
	if err := os.WriteFile(p, []byte("disk of "+name), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := f.reg.Import([]string{p}, name, family, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img.ID
}

// record returns a record of image id that may be promoted: tested in dev with kiln.yaml's
// test block, against the state its deployment to dev left (serial 4, tested at 5).
// stateDigest is the digest of the dev state the record's deployment left and its tests ran against.
var stateDigest = "sha256:" + strings.Repeat("5", 64)

func (f *fixture) record(id string) *record.Record {
	rec := record.New(record.Image{ID: id, Name: "web-1", Family: "web", Provider: "local"},
		record.Source{Repo: "https://git.example.com/web", Commit: commit}, t0)
	rec.Deployments = []record.Deployment{{Environment: "dev", Workspace: "dev", ImageID: id, At: t0,
		StateLineage: lineage, StateSerial: 4, StateDigest: stateDigest}}
	rec.Tests = &record.Tests{Status: record.StatusPassed, Passed: 1, Total: 1, ImageID: id, Environment: "dev",
		At: t0, Family: "web", StateLineage: lineage, StateSerial: 5, StateDigest: stateDigest, ChecksDigest: f.cfg.Test.Digest()}
	return rec
}

// predicate returns what kiln-test vouches for in rec.
func (f *fixture) predicate(rec *record.Record) attest.Predicate {
	t := rec.Tests
	return attest.Predicate{ImageID: rec.Image.ID, ImageName: rec.Image.Name, PackagesDigest: rec.Image.PackagesDigest, Family: t.Family,
		Environment: t.Environment, StateLineage: t.StateLineage, StateSerial: t.StateSerial, StateDigest: t.StateDigest,
		ChecksDigest: t.ChecksDigest, Status: t.Status, Passed: t.Passed, Failed: t.Failed, Total: t.Total,
		SourceRepo: rec.Source.Repo, SourceCommit: rec.Source.Commit, BuiltAt: rec.BuiltAt, TestedAt: t.At}
}

// sign returns p signed by s, as the record keeps it.
func sign(t *testing.T, s attest.Signer, p attest.Predicate) *record.Envelope {
	t.Helper()
	env, err := attest.Sign(context.Background(), s, p)
	if err != nil {
		t.Fatal(err)
	}
	return gate.FromDSSE(env)
}

// otherSigner returns a key kiln.yaml does not trust.
func otherSigner(t *testing.T) attest.Signer {
	t.Helper()
	priv, _ := attesttest.KeyPair(t, t.TempDir())
	s, err := attest.LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// retarget makes rec a record of image id.
func retarget(rec *record.Record, id string) {
	rec.Image.ID, rec.Tests.ImageID, rec.Deployments[0].ImageID = id, id, id
}

// checkRefused fails unless err is a one-line exit-8 refusal starting with prefix and
// containing want.
func checkRefused(t *testing.T, err error, prefix, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want a refusal containing %q", want)
	case exitcode.Of(err) != exitcode.PromotionRefused:
		t.Errorf("exit code %d, want %d: %v", exitcode.Of(err), exitcode.PromotionRefused, err)
	case !strings.HasPrefix(err.Error(), prefix+" refused: ") || !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want %q refused: ...%s...", err, prefix, want)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("error %q is not one line", err)
	}
}

// TestPromotion checks the gate against the record's own account of its tests and the
// registry, without an attestation.
func TestPromotion(t *testing.T) {
	ctx := context.Background()
	point := func(t *testing.T, f *fixture, id string) {
		t.Helper()
		if _, err := f.reg.Point(ctx, "web", id, "prod", t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, f *fixture, rec *record.Record)
		want string // a fragment of the refusal; "" to pass
		code int    // the exit code when it is not 8
		warn string // a fragment of the warning given
	}{
		{name: "good record"},
		{name: "current image", edit: func(t *testing.T, f *fixture, rec *record.Record) { point(t, f, rec.Image.ID) }},
		{name: "newer than the current image", edit: func(t *testing.T, f *fixture, rec *record.Record) {
			point(t, f, rec.Image.ID)
			retarget(rec, f.image(t, "web-2", "web"))
		}},
		{name: "tests at the deployment's serial", edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
			rec.Tests.StateSerial = rec.Deployments[0].StateSerial
		}},
		{name: "DEPRECATED", warn: "DEPRECATED", edit: func(t *testing.T, f *fixture, rec *record.Record) {
			if err := f.reg.SetState(ctx, rec.Image.ID, registry.Deprecated, registry.Dates{Deprecated: t0}); err != nil {
				t.Fatal(err)
			}
		}},

		{name: "another family", want: "belongs to family api, and kiln.yaml promotes family web",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Image.Family = "api" }},
		{name: "untested", want: "has no test results",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests = nil }},
		{name: "failed", want: "failed (1 of 1 checks failed)", edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
			rec.Tests.Status, rec.Tests.Passed, rec.Tests.Failed = record.StatusFailed, 0, 1
		}},
		{name: "no checks ran", want: "ran no checks", edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
			rec.Tests.Passed, rec.Tests.Total = 0, 0
		}},
		{name: "tests of another image", want: "the tests ran against image " + missing,
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.ImageID = missing }},
		{name: "tests in another environment", want: "was tested in staging, not in test.environment dev",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.Environment = "staging" }},
		{name: "tests in the promote environment", want: "was tested in prod, not in test.environment dev",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.Environment = "prod" }},
		{name: "tests naming another family", want: `name family "api", not web`,
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.Family = "api" }},
		{name: "tests naming no family", want: `name family "", not web`,
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.Family = "" }},
		{name: "another test block", want: "ran another test block than kiln.yaml's (sha256:" + strings.Repeat("0", 64),
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
				rec.Tests.ChecksDigest = "sha256:" + strings.Repeat("0", 64)
			}},
		{name: "no checks digest", want: "ran another test block than kiln.yaml's ((none)",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.ChecksDigest = "" }},
		{name: "no deployment", want: "shows no deployment of image",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Deployments = nil }},
		{name: "deployed only elsewhere", want: "shows no deployment of image",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Deployments[0].Environment = "staging" }},
		{name: "another image deployed", want: "shows no deployment of image",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Deployments[0].ImageID = missing }},
		{name: "lineage mismatch", want: "not bound to its deployment in dev (state lineage other, deployed " + lineage,
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.StateLineage = "other" }},
		{name: "tests against another state digest", want: "ran against another Terraform state of dev",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
				rec.Tests.StateDigest = "sha256:" + strings.Repeat("1", 64)
			}},
		{name: "no lineage in the tests", want: "(state lineage (none), deployed " + lineage,
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.StateLineage = "" }},
		{name: "no lineage anywhere", want: "(state lineage (none), deployed (none))",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) {
				rec.Tests.StateLineage, rec.Deployments[0].StateLineage = "", ""
			}},
		{name: "tests older than the deployment", want: "ran against state serial 3 of dev, before its deployment (serial 4)",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { rec.Tests.StateSerial = 3 }},
		{name: "OBSOLETE", want: "is OBSOLETE since 2026-11-30", edit: func(t *testing.T, f *fixture, rec *record.Record) {
			if err := f.reg.SetState(ctx, rec.Image.ID, registry.Obsolete, registry.Dates{Deprecated: t0, Obsolete: t0}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "DELETED", want: "is DELETED since 2026-12-01", edit: func(t *testing.T, f *fixture, rec *record.Record) {
			if err := f.reg.Delete(ctx, rec.Image.ID, t0.Add(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another family in the registry", want: "belongs to family api, not web",
			edit: func(t *testing.T, f *fixture, rec *record.Record) { retarget(rec, f.image(t, "api-1", "api")) }},
		{name: "older than the current image", want: "is older than", edit: func(t *testing.T, f *fixture, rec *record.Record) {
			point(t, f, f.image(t, "web-2", "web"))
		}},
		{name: "not in the registry", code: exitcode.ImageNotFound, want: "is not in the registry",
			edit: func(_ *testing.T, _ *fixture, rec *record.Record) { retarget(rec, missing) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.record(f.image(t, "web-1", "web"))
			if tc.edit != nil {
				tc.edit(t, f, rec)
			}
			err := f.gate(t, false).Promotion(ctx, rec)
			switch {
			case tc.code != 0:
				if exitcode.Of(err) != tc.code || !strings.Contains(fmt.Sprint(err), tc.want) {
					t.Errorf("Promotion = %v (exit %d), want exit %d and %q", err, exitcode.Of(err), tc.code, tc.want)
				}
			case tc.want != "":
				checkRefused(t, err, "promotion", tc.want)
			case err != nil:
				t.Errorf("Promotion = %v, want nil", err)
			}
			if got := strings.Join(f.warned, "\n"); tc.warn == "" && got != "" || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
}

// TestPromotionOlderMessage checks that refusing a step back names both images and points
// at kiln-rollback.
func TestPromotionOlderMessage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	old := f.image(t, "web-1", "web")
	cur := f.image(t, "web-2", "web")
	if _, err := f.reg.Point(ctx, "web", cur, "prod", t0); err != nil {
		t.Fatal(err)
	}
	err := f.gate(t, false).Promotion(ctx, f.record(old))
	checkRefused(t, err, "promotion", fmt.Sprintf("image %s is older than %s, family web's current image", old, cur))
	if !strings.Contains(fmt.Sprint(err), "kiln-rollback --to "+old) {
		t.Errorf("error %q does not point at kiln-rollback", err)
	}
}

// TestPromotionAttested checks the signed attestation against kiln.yaml and the record.
func TestPromotionAttested(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		pred func(p *attest.Predicate)                                           // edits what is signed
		att  func(t *testing.T, f *fixture, p attest.Predicate) *record.Envelope // replaces the envelope
		want string
	}{
		{name: "valid"},
		{name: "missing", want: "carry no signed attestation",
			att: func(*testing.T, *fixture, attest.Predicate) *record.Envelope { return nil }},
		{name: "another key", want: "does not verify",
			att: func(t *testing.T, _ *fixture, p attest.Predicate) *record.Envelope { return sign(t, otherSigner(t), p) }},
		{name: "payload edited", want: "does not verify",
			att: func(t *testing.T, f *fixture, p attest.Predicate) *record.Envelope {
				env := sign(t, f.signer, p)
				other := sign(t, f.signer, attest.Predicate{ImageID: p.ImageID, Status: attest.StatusPassed})
				env.Payload = other.Payload
				return env
			}},
		{name: "image", want: `vouches for image "` + missing + `"`,
			pred: func(p *attest.Predicate) { p.ImageID = missing }},
		{name: "family", want: `vouches for family "api", not "web"`,
			pred: func(p *attest.Predicate) { p.Family = "api" }},
		{name: "environment", want: `vouches for environment "staging", not "dev"`,
			pred: func(p *attest.Predicate) { p.Environment = "staging" }},
		{name: "checks digest", want: `vouches for checks digest "sha256:`,
			pred: func(p *attest.Predicate) { p.ChecksDigest = "sha256:" + strings.Repeat("0", 64) }},
		{name: "status", want: `vouches for status "failed", not "passed"`,
			pred: func(p *attest.Predicate) { p.Status, p.Passed, p.Failed = attest.StatusFailed, 0, 1 }},
		{name: "lineage", want: `vouches for state lineage "other", not "` + lineage + `"`,
			pred: func(p *attest.Predicate) { p.StateLineage = "other" }},
		{name: "state digest", want: "vouches for state digest",
			pred: func(p *attest.Predicate) { p.StateDigest = "sha256:" + strings.Repeat("2", 64) }},
		{name: "serial", want: `vouches for state serial "6", not "5"`,
			pred: func(p *attest.Predicate) { p.StateSerial = 6 }},
		{name: "source commit", want: `vouches for source commit "` + strings.Repeat("f", 40) + `"`,
			pred: func(p *attest.Predicate) { p.SourceCommit = strings.Repeat("f", 40) }},
		// A record whose package digest was edited (and re-digested): the immutable checks
		// in prod would compare servers with a list nobody tested.
		{name: "package digest", want: `vouches for package digest "sha256:` + strings.Repeat("3", 64) + `", not ""`,
			pred: func(p *attest.Predicate) { p.PackagesDigest = "sha256:" + strings.Repeat("3", 64) }},
		{name: "failed counts", want: "vouches for 1 failed of 2 checks",
			pred: func(p *attest.Predicate) { p.Passed, p.Failed, p.Total = 1, 1, 2 }},
		{name: "no checks", want: "vouches for 0 failed of 0 checks",
			pred: func(p *attest.Predicate) { p.Passed, p.Total = 0, 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.record(f.image(t, "web-1", "web"))
			p := f.predicate(rec)
			if tc.pred != nil {
				tc.pred(&p)
			}
			if tc.att != nil {
				rec.Tests.Attestation = tc.att(t, f, p)
			} else {
				rec.Tests.Attestation = sign(t, f.signer, p)
			}
			err := f.gate(t, true).Promotion(ctx, rec)
			if tc.want == "" {
				if err != nil {
					t.Errorf("Promotion = %v, want nil", err)
				}
				return
			}
			checkRefused(t, err, "promotion", tc.want)
		})
	}
}

// TestRollback checks which images kiln-rollback may return family web to: web-1 was
// promoted, then web-2.
func TestRollback(t *testing.T) {
	ctx := context.Background()
	type world struct {
		id  string           // the image asked for
		att *record.Envelope // its attestation
	}
	signed := func(edit func(p *attest.Predicate)) func(t *testing.T, f *fixture, w *world) {
		return func(t *testing.T, f *fixture, w *world) {
			p := f.predicate(f.record(w.id))
			if edit != nil {
				edit(&p)
			}
			w.att = sign(t, f.signer, p)
		}
	}
	for _, tc := range []struct {
		name   string
		verify bool
		edit   func(t *testing.T, f *fixture, w *world)
		want   string
		warn   string
	}{
		{name: "in history, no attest block"},
		{name: "in history, attested", verify: true, edit: signed(nil)},
		{name: "DEPRECATED", warn: "DEPRECATED", edit: func(t *testing.T, f *fixture, w *world) {
			if err := f.reg.SetState(ctx, w.id, registry.Deprecated, registry.Dates{Deprecated: t0}); err != nil {
				t.Fatal(err)
			}
		}},

		{name: "not in history", want: "was never promoted in family web",
			edit: func(t *testing.T, f *fixture, w *world) { w.id = f.image(t, "web-3", "web") }},
		{name: "OBSOLETE", want: "is OBSOLETE", edit: func(t *testing.T, f *fixture, w *world) {
			if err := f.reg.SetState(ctx, w.id, registry.Obsolete, registry.Dates{Obsolete: t0}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "DELETED", want: "is DELETED", edit: func(t *testing.T, f *fixture, w *world) {
			if err := f.reg.Delete(ctx, w.id, t0); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another family", want: "belongs to family api, not web",
			edit: func(t *testing.T, f *fixture, w *world) { w.id = f.image(t, "api-1", "api") }},
		{name: "attestation missing", verify: true, want: "no signed test attestation of image"},
		{name: "attestation invalid", verify: true, want: "does not verify",
			edit: func(t *testing.T, f *fixture, w *world) {
				w.att = sign(t, otherSigner(t), f.predicate(f.record(w.id)))
			}},
		{name: "attestation of another image", verify: true, want: "the attestation names image " + missing,
			edit: signed(func(p *attest.Predicate) { p.ImageID = missing })},
		{name: "attestation of another family", verify: true, want: "names family api, not web",
			edit: signed(func(p *attest.Predicate) { p.Family = "api" })},
		{name: "attestation of failed tests", verify: true, want: "vouches for failed tests (1 of 1 checks failed)",
			edit: signed(func(p *attest.Predicate) { p.Status, p.Passed, p.Failed = attest.StatusFailed, 0, 1 })},
		{name: "attestation of no checks", verify: true, want: "vouches for failed tests (0 of 0 checks failed)",
			edit: signed(func(p *attest.Predicate) { p.Passed, p.Total = 0, 0 })},
		{name: "attestation of passed status with failures", verify: true, want: "vouches for failed tests (1 of 2 checks failed)",
			edit: signed(func(p *attest.Predicate) { p.Passed, p.Failed, p.Total = 1, 1, 2 })},
		{name: "attestation of another environment", verify: true, want: "vouches for tests in staging, not dev",
			edit: signed(func(p *attest.Predicate) { p.Environment = "staging" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := &world{id: f.image(t, "web-1", "web")}
			for _, id := range []string{w.id, f.image(t, "web-2", "web")} {
				if _, err := f.reg.Point(ctx, "web", id, "prod", t0); err != nil {
					t.Fatal(err)
				}
			}
			fam, err := f.reg.Pointer(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(t, f, w)
			}
			img, _, err := f.gate(t, tc.verify).Rollback(ctx, fam, w.id, w.att, false)
			if tc.want != "" {
				checkRefused(t, err, "rollback", tc.want)
				if img != nil {
					t.Errorf("refused, yet returned image %s", img.ID)
				}
			} else if err != nil || img == nil || img.ID != w.id {
				t.Errorf("Rollback = %v, %v; want image %s", img, err, w.id)
			}
			if got := strings.Join(f.warned, "\n"); tc.warn == "" && got != "" || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
}

// TestNotPromoteTarget checks that deploys by other binaries stay out of prod's state.
func TestNotPromoteTarget(t *testing.T) {
	f := newFixture(t)
	// kiln.yaml refuses an alias of prod (config.Load), so the alias is added after loading:
	// the gate must hold on its own.
	f.cfg.Environments["live"] = config.Environment{Terraform: "./tf", Workspace: "prod", ImageVar: "image_id", LockTimeout: "0s"}
	f.cfg.Environments["other-backend"] = config.Environment{Terraform: "tf/", Workspace: "prod", ImageVar: "image_id",
		LockTimeout: "0s", BackendConfig: map[string]string{"path": "elsewhere.tfstate"}}
	for _, tc := range []struct {
		env, want string
	}{
		{"prod", "kiln-deploy-dev refuses prod, the promote environment"},
		{"live", "kiln-deploy-dev refuses live: it deploys into the Terraform state of prod"},
		{"dev", ""},
		{"other-backend", ""},
		{"unknown", ""}, // left to the caller
	} {
		t.Run(tc.env, func(t *testing.T) {
			err := gate.NotPromoteTarget(f.cfg, tc.env, "kiln-deploy-dev")
			if tc.want == "" {
				if err != nil {
					t.Errorf("NotPromoteTarget(%s) = %v, want nil", tc.env, err)
				}
				return
			}
			if exitcode.Of(err) != exitcode.PromotionRefused || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Errorf("NotPromoteTarget(%s) = %v (exit %d), want exit 8 and %q", tc.env, err, exitcode.Of(err), tc.want)
			}
		})
	}
}

// TestVerifier checks how the attest block becomes a VerifyFunc.
func TestVerifier(t *testing.T) {
	const plain = "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n"
	for _, tc := range []struct {
		name, yaml string
		want       string // "" for a nil VerifyFunc and no error
	}{
		{"no attest block", plain, ""},
		{"missing public key", plain + "attest: {public_key: keys/none.pub}\n", "load public key"},
		{"transit without a login", plain + "vault: {auth: {method: token}}\nattest: {transit: {key: kiln}}\n", "no Vault login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kiln.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := gate.Verifier(cfg, nil)
			if tc.want == "" {
				if v != nil || err != nil {
					t.Errorf("Verifier = %v, %v; want nil, nil", v != nil, err)
				}
				return
			}
			if v != nil || exitcode.Of(err) != exitcode.Usage || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Errorf("Verifier = %v, %v (exit %d); want exit 2 and %q", v != nil, err, exitcode.Of(err), tc.want)
			}
		})
	}
}

// TestDSSEConversion checks that the record's copy of an envelope converts back unchanged,
// and that an envelope without signatures keeps an empty list (JSON [], not null).
func TestDSSEConversion(t *testing.T) {
	f := newFixture(t)
	env, err := attest.Sign(context.Background(), f.signer, attest.Predicate{ImageID: missing, Status: attest.StatusPassed})
	if err != nil {
		t.Fatal(err)
	}
	if back := gate.ToDSSE(gate.FromDSSE(env)); !reflect.DeepEqual(back, env) {
		t.Errorf("ToDSSE(FromDSSE(env)) = %+v, want %+v", back, env)
	}
	if got := gate.FromDSSE(&attest.Envelope{PayloadType: attest.PayloadType}); got.Signatures == nil {
		t.Error("FromDSSE of an unsigned envelope has nil Signatures")
	}
}

// TestVaultFailureIsNotAVerdict checks that Vault failing to verify (exit 4 or 5) is passed
// on as it is, while any other verification error is a refusal (exit 8).
func TestVaultFailureIsNotAVerdict(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		err  error
		code int
	}{
		{"unavailable", exitcode.Wrap(exitcode.VaultUnavailable, errors.New("vault is sealed")), exitcode.VaultUnavailable},
		{"denied", exitcode.Wrap(exitcode.VaultDenied, errors.New("permission denied")), exitcode.VaultDenied},
		{"bad signature", errors.New("signature invalid"), exitcode.PromotionRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.image(t, "web-1", "web")
			rec := f.record(id)
			rec.Tests.Attestation = sign(t, f.signer, f.predicate(rec))
			if _, err := f.reg.Point(ctx, "web", id, "prod", t0); err != nil {
				t.Fatal(err)
			}
			fam, err := f.reg.Pointer(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			g := f.gate(t, false)
			g.Verify = func(context.Context, *record.Envelope) (*attest.Predicate, error) { return nil, tc.err }
			if err := g.Promotion(ctx, rec); exitcode.Of(err) != tc.code {
				t.Errorf("Promotion = %v (exit %d), want exit %d", err, exitcode.Of(err), tc.code)
			}
			if _, _, err := g.Rollback(ctx, fam, id, rec.Tests.Attestation, false); exitcode.Of(err) != tc.code {
				t.Errorf("Rollback = %v (exit %d), want exit %d", err, exitcode.Of(err), tc.code)
			}
		})
	}
}

// TestVaultCode checks the exit codes VaultCode gives transit failures.
func TestVaultCode(t *testing.T) {
	other := errors.New("signature invalid")
	for _, tc := range []struct {
		name string
		err  error
		code int
	}{
		{"nil", nil, exitcode.OK},
		{"forbidden", fmt.Errorf("verify attestation: %w", &api.ResponseError{StatusCode: 403}), exitcode.VaultDenied},
		{"unauthorized", &api.ResponseError{StatusCode: 401}, exitcode.VaultDenied},
		{"sealed", &api.ResponseError{StatusCode: 503}, exitcode.VaultUnavailable},
		{"unreachable", fmt.Errorf("sign: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), exitcode.VaultUnavailable},
		{"not found", &api.ResponseError{StatusCode: 404}, exitcode.Failed},
		{"other", other, exitcode.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := gate.VaultCode(tc.err)
			if exitcode.Of(got) != tc.code || !errors.Is(got, tc.err) {
				t.Errorf("VaultCode(%v) = %v (exit %d), want exit %d wrapping it", tc.err, got, exitcode.Of(got), tc.code)
			}
		})
	}
	if got := gate.VaultCode(other); got != other {
		t.Errorf("VaultCode changed an error that is not Vault's: %v", got)
	}
}

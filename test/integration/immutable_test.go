package integration

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/record"
)

// bakedPackages is the package list the fixture's template "bakes"; its provisioner prints
// the digest with sort and sha256sum, which must agree with checks.PackagesDigest.
var bakedPackages = []string{"cron 3.0pl1-162 amd64", "base-files 12.4+deb12u5 amd64", "libc6 2.36-9 amd64"}

// factsService is a machine's facts endpoint on 127.0.0.1 (and its /healthz): the test
// sets the facts it answers, and counts the requests for them.
type factsService struct {
	*httptest.Server
	mu      sync.Mutex
	facts   checks.Facts
	queries []string
}

func newFactsService(t *testing.T, facts checks.Facts) *factsService {
	t.Helper()
	s := &factsService{facts: facts}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok"))
			return
		}
		s.queries = append(s.queries, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.facts)
	}))
	t.Cleanup(s.Close)
	return s
}

// set changes the facts the service answers.
func (s *factsService) set(change func(*checks.Facts)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.facts)
}

// asked returns the queries of the facts requests so far.
func (s *factsService) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// cleanFacts are the facts of an immutable machine baked with bakedPackages.
func cleanFacts() checks.Facts {
	return checks.Facts{RootReadOnly: true, RootOptions: "ro,relatime",
		Services:       map[string]checks.ServiceState{"cron": {Enabled: "not-found", Active: "inactive"}, "puppet": {Enabled: "masked", Active: "inactive"}},
		PackagesDigest: checks.PackagesDigest(bakedPackages), PackageManager: "dpkg"}
}

// immutableWorld is the fast fixture whose dev and prod "machines" are facts services, with
// an immutable check for both environments and a template that prints provision (a
// shell-local provisioner's inline commands, HCL strings).
type immutableWorld struct {
	dir       string
	dev, prod *factsService
	cfg       string
}

// fact is the provisioner command that prints the kiln-fact line of bakedPackages.
const fact = `"printf 'kiln-fact packages_digest sha256:%s\\n' \"$(printf '` + "cron 3.0pl1-162 amd64\\\\nbase-files 12.4+deb12u5 amd64\\\\nlibc6 2.36-9 amd64\\\\n" +
	`' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)\""`

func newImmutableWorld(t *testing.T, provision ...string) *immutableWorld {
	t.Helper()
	w := &immutableWorld{dir: t.TempDir(), dev: newFactsService(t, cleanFacts()), prod: newFactsService(t, cleanFacts())}
	copyDir(t, filepath.Join("testdata", "fast"), w.dir)
	cfg := readFile(t, filepath.Join(w.dir, "kiln.yaml"))
	cfg = strings.ReplaceAll(cfg, "${DEV_PORT}", port(t, w.dev.Server))
	cfg = strings.ReplaceAll(cfg, "${PROD_PORT}", port(t, w.prod.Server))
	cfg += `    - name: immutable
      immutable:
        url: "http://{{ .Outputs.address }}/facts"
        services_off: [cron, puppet]
      environments: [dev, prod]
      timeout: 1s
      interval: 200ms
`
	w.cfg = cfg
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)
	tmplPath := filepath.Join(w.dir, "packer", "image.pkr.hcl")
	tmpl := strings.Replace(readFile(t, tmplPath), "  sources = [\"source.file.image\"]\n",
		"  sources = [\"source.file.image\"]\n\n  provisioner \"shell-local\" {\n    inline = ["+strings.Join(provision, ", ")+"]\n  }\n", 1)
	writeFile(t, tmplPath, tmpl)
	return w
}

func (w *immutableWorld) record(t *testing.T) *record.Record {
	t.Helper()
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// testsJSON is the record's tests section as JSON, to see that it did not change.
func testsJSON(t *testing.T, rec *record.Record) string {
	t.Helper()
	b, err := json.Marshal(rec.Tests)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImmutable: the packages digest a template prints reaches the record; kiln-test's
// immutable check passes on clean facts and fails, exit 1 with one clear line, on a
// read-write root, an enabled service or changed packages; kiln-test --environment prod after
// kiln-promote records a verification and leaves the tests as they were.
func TestImmutable(t *testing.T) {
	w := newImmutableWorld(t, `"echo provisioning"`, fact)
	digest := checks.PackagesDigest(bakedPackages)
	short := digest[:len("sha256:")+12] + "..."

	must(t, w.dir, "bake", nil)
	if got := w.record(t).Image.PackagesDigest; got != digest {
		t.Fatalf("record's packages digest %q, want %s (the template's sort | sha256sum)", got, digest)
	}
	must(t, w.dir, "deploy-dev", nil)

	r := must(t, w.dir, "test", nil)
	if want := "ok   immutable: passed on attempt 1: root read-only (ro,relatime), 2 services off, packages as baked (dpkg " + short + ")"; !strings.Contains(r.stdout, want) {
		t.Fatalf("stdout lacks %q: %s", want, r)
	}
	if q := w.dev.asked(); len(q) != 1 || q[0] != "services=cron,puppet" {
		t.Fatalf("dev's facts endpoint was asked %q", q)
	}
	if len(w.prod.asked()) != 0 {
		t.Fatal("kiln-test asked prod's facts")
	}

	other := checks.PackagesDigest(append([]string{"puppet-agent 7.23 amd64"}, bakedPackages...))
	for _, tc := range []struct {
		name   string
		change func(*checks.Facts)
		line   string
	}{
		{"root read-write", func(f *checks.Facts) { f.RootReadOnly, f.RootOptions = false, "rw,relatime" },
			"root file system is mounted read-write (rw,relatime)"},
		{"service enabled", func(f *checks.Facts) { f.Services["cron"] = checks.ServiceState{Enabled: "enabled", Active: "active"} },
			"service cron is enabled and active"},
		{"packages changed", func(f *checks.Facts) { f.PackagesDigest = other },
			"packages changed since the bake: " + other[:len("sha256:")+12] + "... now, " + short + " at bake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.dev.set(func(f *checks.Facts) { *f = cleanFacts(); tc.change(f) })
			r := kiln(t, w.dir, "test", nil)
			wantExit(t, r, 1, "kiln-test: error: 1 of 3 checks failed: immutable")
			var fail string
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(line, "FAIL ") {
					fail = line
				}
			}
			if !strings.HasPrefix(fail, "FAIL immutable: gave up after ") || !strings.HasSuffix(fail, ": "+tc.line) {
				t.Fatalf("FAIL line %q, want one ending %q: %s", fail, tc.line, r)
			}
			if rec := w.record(t); rec.Tests.Status != record.StatusFailed || rec.Tests.Checks[2].Message != strings.TrimPrefix(fail, "FAIL immutable: ") {
				t.Fatalf("recorded tests: %+v", rec.Tests)
			}
		})
	}
	w.dev.set(func(f *checks.Facts) { *f = cleanFacts() })
	must(t, w.dir, "test", nil)

	wantExit(t, kiln(t, w.dir, "test", nil, "--environment", "prod"), 6, "no deployment of prod in the record (run kiln-promote first)")
	must(t, w.dir, "promote", nil)
	tested := testsJSON(t, w.record(t))

	devAsked := len(w.dev.asked())
	r = must(t, w.dir, "test", nil, "--environment", "prod")
	rec := w.record(t)
	if !strings.Contains(r.stdout, "ok   immutable: passed") || !strings.Contains(r.stdout, "verified prod: 1 check passed against image "+rec.Image.ID) ||
		strings.Contains(r.stdout, "health") {
		t.Fatalf("kiln-test --environment prod ran other checks, or did not say it verified prod: %s", r)
	}
	if got := len(w.dev.asked()); got != devAsked || len(w.prod.asked()) != 1 {
		t.Fatalf("facts asked: dev %d more times, prod %d times; want 0 and 1", got-devAsked, len(w.prod.asked()))
	}
	v, ok := rec.Verifications["prod"]
	if !ok || v.Status != record.StatusPassed || v.Total != 1 || v.ImageID != rec.Image.ID || v.Checks[0].Name != "immutable" ||
		v.StateLineage != rec.Deployment("prod").StateLineage || v.StateDigest != rec.Deployment("prod").StateDigest {
		t.Fatalf("verification of prod: %+v", rec.Verifications)
	}
	if testsJSON(t, rec) != tested {
		t.Fatalf("the verification changed the tests:\n%s\nwas\n%s", testsJSON(t, rec), tested)
	}
	if junit := readFile(t, filepath.Join(w.dir, "kiln-junit.xml")); !strings.Contains(junit, `tests="1"`) {
		t.Fatalf("junit of the verification:\n%s", junit)
	}

	// A mutated prod machine: the verification fails (KILN_ENVIRONMENT this time), is
	// recorded as failed, and the tests stay as they were.
	w.prod.set(func(f *checks.Facts) {
		f.Services["puppet"] = checks.ServiceState{Enabled: "enabled", Active: "active"}
	})
	r = kiln(t, w.dir, "test", map[string]string{"KILN_ENVIRONMENT": "prod"})
	wantExit(t, r, 1, "kiln-test: error: verification of prod: 1 of 1 checks failed: immutable")
	if !strings.Contains(r.stdout, ": service puppet is enabled and active\n") {
		t.Fatalf("stdout: %s", r)
	}
	rec = w.record(t)
	if v := rec.Verifications["prod"]; v.Status != record.StatusFailed || v.Failed != 1 || testsJSON(t, rec) != tested {
		t.Fatalf("after the failed verification: verification %+v, tests %s", v, testsJSON(t, rec))
	}
	// The gate reads the tests, not the verification: promoting again is still allowed.
	if r := must(t, w.dir, "promote", nil); !strings.Contains(r.stdout, "already promoted") {
		t.Fatalf("promote after a failed verification: %s", r)
	}

	wantExit(t, kiln(t, w.dir, "test", nil, "--environment", "staging"), 2, `--environment "staging": no environment "staging" in`)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.cfg, "environments: [dev, prod]", "environments: [dev]", 1))
	r = kiln(t, w.dir, "test", nil, "--environment", "prod")
	wantExit(t, r, 2, "no check of test.checks runs in prod")
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n > 2 {
		t.Fatalf("want the step's start line and one error line: %s", r)
	}
}

// TestImmutableNoBakedDigest: a template that prints no well-formed kiln-fact line gets a
// warning at bake time, a record without a packages digest, and an immutable check that
// fails at once saying what the template must print.
func TestImmutableNoBakedDigest(t *testing.T) {
	w := newImmutableWorld(t, `"echo 'kiln-fact packages_digest sha256:not-hex'"`)
	r := must(t, w.dir, "bake", nil)
	if !strings.Contains(r.stderr, `warning: ignored a malformed kiln-fact line from file.image: "kiln-fact packages_digest sha256:not-hex"`) {
		t.Fatalf("bake did not warn: %s", r)
	}
	if got := w.record(t).Image.PackagesDigest; got != "" {
		t.Fatalf("record's packages digest %q, want none", got)
	}
	must(t, w.dir, "deploy-dev", nil)
	r = kiln(t, w.dir, "test", nil)
	wantExit(t, r, 1, "1 of 3 checks failed: immutable")
	want := "FAIL immutable: " + checks.NoBakedDigest + "\n"
	if !strings.Contains(r.stdout, want) {
		t.Fatalf("stdout lacks %q: %s", want, r)
	}
	if len(w.dev.asked()) != 0 {
		t.Fatalf("the facts were read although the check cannot pass: %q", w.dev.asked())
	}
}

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
)

// pipelineSteps are the six steps in pipeline order.
var pipelineSteps = []string{"validate", "bake", "deploy-dev", "test", "promote", "destroy-dev"}

// TestVaultLeaks plants secrets of every risky shape in Vault, maps them to the six steps
// (env vars, 0600 files, sensitive Terraform variables, a dynamic PKI certificate) and runs
// the pipeline three times: normally, with TF_LOG=TRACE and PACKER_LOG=1, and with each step
// forced to fail while its tool prints the secrets. After every run no secret, no encoding
// of one, no JWT and no Vault token is in stdout, stderr, any file under the project (the
// record, kiln.env, the JUnit file, the registry, Terraform's state, TMPDIR) or any command
// line seen while it ran; no child process had kiln's credentials in its environment;
// kiln's token is revoked and no PKI lease is left.
//
// Terraform's state is Terraform's, but it is a file under the project: the fixture keeps
// secrets out of it by using them only in provisioners (which the state does not record),
// so the search covers it like every other file.
func TestVaultLeaks(t *testing.T) {
	vw := startVault(t)
	w := newVaultWorld(t)
	t.Run("normal", func(t *testing.T) {
		for _, st := range pipelineSteps {
			r := vw.step(t, w, st, nil, 0)
			vw.checkDelivered(t, w, st, r)
		}
		for _, f := range []string{"kiln-image.json", "kiln.env", "kiln-junit.xml"} {
			if _, err := os.Stat(filepath.Join(w.dir, f)); err != nil {
				t.Errorf("the search did not cover %s: %v", f, err)
			}
		}
	})
	t.Run("debug logs", func(t *testing.T) {
		debug := map[string]string{"TF_LOG": "TRACE", "PACKER_LOG": "1"}
		for _, st := range pipelineSteps {
			r := vw.step(t, w, st, debug, 0)
			if st == "bake" && !strings.Contains(r.stderr, "[INFO] Packer version") {
				t.Errorf("PACKER_LOG=1 did not reach Packer: %s", r.stderr)
			}
			if st == "deploy-dev" && !strings.Contains(r.stderr, "[TRACE]") {
				t.Log("kiln does not pass TF_LOG to Terraform: no trace to search")
			}
		}
	})
	t.Run("forced failure", func(t *testing.T) { forcedFailures(t, vw, w) })
}

// forcedFailures runs each step so that it fails, its provisioners printing the secrets
// first, then (where the next step needs it) again normally.
func forcedFailures(t *testing.T, vw *vaultWorld, w *world) {
	fail := map[string]string{"KILN_TEST_FAIL": "1"}
	unformatted := filepath.Join(w.dir, "terraform", "unformatted.tf")
	writeFile(t, unformatted, "variable \"x\"   {\ntype=string\n}\n")
	r := vw.step(t, w, "validate", fail, 1)
	os.Remove(unformatted)
	if !strings.Contains(r.stdout, "FAIL terraform") {
		t.Errorf("validate did not fail on the unformatted file: %s", r)
	}
	r = vw.step(t, w, "bake", fail, 1)
	wantMasked(t, r.stderr, "failing on purpose: ***")
	vw.step(t, w, "bake", nil, 0)
	r = vw.step(t, w, "deploy-dev", fail, 1)
	wantMasked(t, r.stderr, "failing on purpose: ***")
	vw.step(t, w, "deploy-dev", nil, 0)
	w.devOK.Store(false)
	vw.step(t, w, "test", fail, 1)
	w.devOK.Store(true)
	vw.step(t, w, "test", nil, 0)
	r = vw.step(t, w, "promote", fail, 1)
	wantMasked(t, r.stderr, "failing on purpose: ***")
	r = vw.step(t, w, "destroy-dev", fail, 1)
	wantMasked(t, r.stderr, "failing on purpose: ***")
	vw.step(t, w, "destroy-dev", nil, 0)
}

func wantMasked(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q (the tool's own printing of the secrets, masked):\n%s", want, out)
	}
}

// step runs kiln-<name> in w as the protected master pipeline would, wants exit code, and
// checks for leaks and leftover credentials.
func (vw *vaultWorld) step(t *testing.T, w *world, name string, extra map[string]string, code int) watched {
	t.Helper()
	r := runWatched(t, w.dir, name, vw.env(t, w, extra), nil)
	if r.code != code {
		t.Fatalf("kiln-%s: want exit %d, got %s", name, code, r.result)
	}
	vw.check(t, w, "kiln-"+name, r, false)
	return r
}

// check searches a finished run and the project for secrets, and checks that the token
// kiln logged in for and the leases it created are gone.
func (vw *vaultWorld) check(t *testing.T, w *world, label string, r watched, github bool) {
	t.Helper()
	vw.search(t, w, label, r, github)
	vw.checkRevoked(t, label, r)
}

// search looks for every secret and credential in what the run printed, the command lines
// seen while it ran and every file under the project (but the files in except, the test's
// own inputs), and for kiln's credentials in its children's environment.
func (vw *vaultWorld) search(t *testing.T, w *world, label string, r watched, github bool, except ...string) {
	t.Helper()
	s := vw.newSearcher(t)
	s.scanRun(r, github)
	s.scanDir(t, w.dir, except...)
	s.scanEnviron(t, vw, r)
	s.report(t, label)
}

// accessorRE finds the accessor of kiln's token in its log.
var accessorRE = regexp.MustCompile(`token accessor ([A-Za-z0-9.]+)\)`)

// checkRevoked checks that every token issued at a login (kiln's, this run's included) is
// revoked and that no PKI lease is left.
func (vw *vaultWorld) checkRevoked(t *testing.T, label string, r watched) {
	t.Helper()
	m := accessorRE.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Errorf("%s: the log does not name kiln's token accessor:\n%s", label, r.stderr)
	}
	logins, _ := vw.issued(t)
	seen := false
	for _, l := range logins {
		seen = seen || m != nil && l.accessor == m[1]
		if vw.srv.TokenAlive(t, l.accessor) {
			t.Errorf("%s: the token from %s (accessor %s) still works", label, l.path, l.accessor)
		}
	}
	if m != nil && !seen {
		t.Errorf("%s: accessor %s is not one Vault issued at a login", label, m[1])
	}
	waitFor(t, label+": PKI leases revoked", func() bool { return len(vw.srv.Leases(t, "pki/issue/kiln/")) == 0 })
}

// waitFor polls cond: revoking a token revokes its leases in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 50 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s: still not so after 50 tries", what)
}

// checkDelivered checks that the secrets reached the tools: the baked image holds the
// SHA-256 of the password (a sensitive Packer variable), the key file and the PKI key;
// each environment's proof file the SHA-256 of the sensitive Terraform variables.
func (vw *vaultWorld) checkDelivered(t *testing.T, w *world, step string, r watched) {
	t.Helper()
	var want []string
	var got string
	switch step {
	case "bake":
		_, keys := vw.issued(t)
		want = []string{"password_sha256=" + sum(vw.secret("password")), "key_sha256=" + sum(vw.secret("ssh_key")),
			"pki_key_sha256=" + sum(keys[len(keys)-1])}
		got = bakedImage(t, w)
	case "deploy-dev", "promote":
		env := map[string]string{"deploy-dev": "dev", "promote": "prod"}[step]
		want = []string{"db_url_sha256=" + sum(vw.secret("db_url")), "oauth_sha256=" + sum(vw.secret("oauth")),
			"key_sha256=" + sum(vw.secret("ssh_key"))}
		got = readFile(t, filepath.Join(w.dir, "terraform", "proof-"+env+".txt"))
	default:
		return
	}
	for _, s := range want {
		if !strings.Contains(got, s+"\n") {
			t.Errorf("kiln-%s: the tool did not get the secret: no %s in\n%s", step, s, got)
		}
	}
	if !strings.Contains(r.stdout+r.stderr, "***") {
		t.Errorf("kiln-%s: nothing was masked, yet the tools print secrets:\n%s", step, r.stderr)
	}
}

// bakedImage returns the content of the image file the record names.
func bakedImage(t *testing.T, w *world) string {
	t.Helper()
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range w.packerOutputs(t) {
		if "local:sha256:"+sha256File(t, f) == rec.Image.ID {
			return readFile(t, f)
		}
	}
	t.Fatalf("no file under packer/output hashes to %s", rec.Image.ID)
	return ""
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

package integration

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest/attesttest"
	"github.com/kiln-ci/kiln/internal/record"
)

// scene is a world an attacker works in: the fast fixture with real Packer and Terraform,
// optionally with an attest block whose private key only kiln-test's environment holds.
type scene struct {
	*world
	t   *testing.T
	env map[string]string // every step's extra environment (KILN_ATTEST_KEY)
}

// sha returns a distinct source commit per n: each bakes a different image.
func sha(n int) string { return strings.Repeat(string(rune('a'+n)), 40) }

func newScene(t *testing.T, signed bool) *scene {
	t.Helper()
	s := &scene{world: newWorld(t), t: t, env: map[string]string{}}
	if signed {
		priv, pub := attesttest.KeyPair(t, t.TempDir())
		s.setConfig(s.template + "attest:\n  public_key: " + pub + "\n")
		s.env["KILN_ATTEST_KEY"] = priv
	}
	return s
}

// setConfig replaces kiln.yaml (and the template later edits start from).
func (s *scene) setConfig(cfg string) {
	s.template = cfg
	writeFile(s.t, filepath.Join(s.dir, "kiln.yaml"), cfg)
}

// run runs a step with the scene's environment plus extra.
func (s *scene) run(step string, extra map[string]string, args ...string) result {
	s.t.Helper()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return kiln(s.t, s.dir, step, env, args...)
}

func (s *scene) must(step string, extra map[string]string, args ...string) result {
	s.t.Helper()
	r := s.run(step, extra, args...)
	if r.code != 0 {
		s.t.Fatalf("kiln-%s: %s", step, r)
	}
	return r
}

// baked bakes image n and returns its record.
func (s *scene) baked(n int) string {
	s.t.Helper()
	s.must("bake", map[string]string{"KILN_SOURCE_SHA": sha(n)})
	return s.record()
}

// tested bakes image n, deploys it to dev and tests it; it returns the tested record, which
// is also kiln-image.json.
func (s *scene) tested(n int) string {
	s.t.Helper()
	s.baked(n)
	s.must("deploy-dev", nil)
	s.must("test", nil)
	return s.record()
}

func (s *scene) recordPath() string { return filepath.Join(s.dir, "kiln-image.json") }
func (s *scene) record() string     { return readFile(s.t, s.recordPath()) }
func (s *scene) put(rec string)     { writeFile(s.t, s.recordPath(), rec) }

// forge rewrites the record at kiln-image.json through edit and recomputes its digest, as
// anyone who can write the file can.
func (s *scene) forge(edit func(r *record.Record)) {
	s.t.Helper()
	r, err := record.Decode([]byte(s.record()), "record")
	if err != nil {
		s.t.Fatal(err)
	}
	edit(r)
	if err := record.Write(s.recordPath(), r); err != nil {
		s.t.Fatal(err)
	}
}

// decode returns a record's content as a Record.
func (s *scene) decode(rec string) *record.Record {
	s.t.Helper()
	r, err := record.Decode([]byte(rec), "record")
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// prod is what promotion changes: prod's Terraform state and the family pointer.
func (s *scene) prod() string {
	var b strings.Builder
	for _, p := range []string{
		filepath.Join(s.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate"),
		filepath.Join(s.dir, ".kiln", "images", "families", "demo-web.json"),
	} {
		data, _ := os.ReadFile(p)
		b.WriteString(p + ":\n" + string(data) + "\n")
	}
	return b.String()
}

// refused runs step and checks that it exits code naming every part, and that prod and the
// family pointer did not change.
func (s *scene) refused(step string, extra map[string]string, args []string, code int, parts ...string) result {
	s.t.Helper()
	before := s.prod()
	r := s.run(step, extra, args...)
	wantExit(s.t, r, code, parts...)
	if after := s.prod(); after != before {
		s.t.Fatalf("kiln-%s exited %d but changed prod or the family pointer:\nbefore:\n%s\nafter:\n%s", step, r.code, before, after)
	}
	return r
}

// redirectDev points kiln.yaml's dev address at handler instead of the world's dev service.
func (s *scene) redirectDev(handler http.Handler) {
	srv := httptest.NewServer(handler)
	s.t.Cleanup(srv.Close)
	s.setConfig(strings.ReplaceAll(s.template, "port: "+port(s.t, s.dev)+"\n", "port: "+port(s.t, srv)+"\n"))
}

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

// bakeAndDeploy brings a world to a baked image deployed in dev.
func bakeAndDeploy(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	must(t, w.dir, "bake", nil)
	must(t, w.dir, "deploy-dev", nil)
	return w
}

// TestPromoteGate: promote refuses an untested record, a record whose tests ran against
// another image, and a record whose tests failed (exit 8); a truncated, edited or missing
// record is invalid (exit 6). Nothing reaches prod.
func TestPromoteGate(t *testing.T) {
	w := bakeAndDeploy(t)
	recPath := filepath.Join(w.dir, "kiln-image.json")
	prodState := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	noProd := func() {
		t.Helper()
		if _, err := os.Stat(prodState); err == nil && len(w.state(t, "prod")) > 0 {
			t.Fatal("prod was deployed")
		}
	}

	wantExit(t, kiln(t, w.dir, "promote", nil), 8, "promotion refused")
	noProd()

	// Tests that ran against another image.
	must(t, w.dir, "test", nil)
	tested := readFile(t, recPath)
	rec, err := record.Read(recPath)
	if err != nil {
		t.Fatal(err)
	}
	rec.Tests.ImageID = "local:sha256:" + strings.Repeat("ab", 32)
	if err := record.Write(recPath, rec); err != nil {
		t.Fatal(err)
	}
	wantExit(t, kiln(t, w.dir, "promote", nil), 8, "promotion refused")
	noProd()

	// Edited by hand: the digest no longer matches.
	writeFile(t, recPath, strings.Replace(tested, `"status": "passed"`, `"status": "failed"`, 1))
	wantExit(t, kiln(t, w.dir, "promote", nil), 6, "kiln-image.json")
	edited := strings.Replace(tested, "demo-web-", "demo-wab-", 1)
	writeFile(t, recPath, edited)
	wantExit(t, kiln(t, w.dir, "promote", nil), 6, "kiln-image.json")
	// Truncated.
	writeFile(t, recPath, tested[:len(tested)/2])
	wantExit(t, kiln(t, w.dir, "promote", nil), 6, "kiln-image.json")
	// Missing.
	os.Remove(recPath)
	wantExit(t, kiln(t, w.dir, "promote", nil), 6, "kiln-image.json")
	noProd()

	// A failing check: kiln-test exits 1 naming it, and promote refuses.
	writeFile(t, recPath, tested)
	w.devOK.Store(false)
	r := kiln(t, w.dir, "test", nil)
	wantExit(t, r, 1, "health")
	if !strings.Contains(r.stdout, "FAIL health") {
		t.Fatalf("kiln-test output: %s", r)
	}
	if junit := readFile(t, filepath.Join(w.dir, "kiln-junit.xml")); !strings.Contains(junit, "<failure") {
		t.Fatalf("junit lacks the failure:\n%s", junit)
	}
	wantExit(t, kiln(t, w.dir, "promote", nil), 8, "promotion refused")
	noProd()
}

// TestBadInput: each kind of bad input gets one clear line and its exit code.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		step  string
		setup func(t *testing.T, w *world)
		code  int
		want  []string
	}{
		{"malformed yaml", "validate", func(t *testing.T, w *world) {
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), "version: 1\nimage:\n  family: [demo\n")
		}, 2, []string{"kiln.yaml:"}},
		{"unknown key", "bake", func(t *testing.T, w *world) {
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "  family: demo-web\n", "  family: demo-web\n  colour: blue\n", 1))
		}, 2, []string{`kiln.yaml:4: unknown key "colour"`}},
		{"invalid image name", "bake", func(t *testing.T, w *world) {
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "  family: demo-web\n", "  family: demo-web\n  name: \"{{ .Family }}_{{ .Timestamp }}\"\n", 1))
		}, 2, []string{"kiln.yaml:4:"}},
		{"missing record", "deploy-dev", nil, 6, []string{"kiln-image.json"}},
		{"packer fails", "bake", func(t *testing.T, w *world) {
			tmpl := readFile(t, filepath.Join(w.dir, "packer", "image.pkr.hcl"))
			tmpl = strings.Replace(tmpl, "  sources = [\"source.file.image\"]\n", "  sources = [\"source.file.image\"]\n\n  provisioner \"shell-local\" {\n    inline = [\"echo provisioning broke >&2\", \"exit 3\"]\n  }\n", 1)
			writeFile(t, filepath.Join(w.dir, "packer", "image.pkr.hcl"), tmpl)
		}, 1, []string{"non-zero exit status: 3"}},
		{"unknown flag", "bake", nil, 2, []string{"unknown flag --colour (see --help)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if c.setup != nil {
				c.setup(t, w)
			}
			var args []string
			if c.name == "unknown flag" {
				args = []string{"--colour"}
			}
			r := kiln(t, w.dir, c.step, nil, args...)
			wantExit(t, r, c.code, c.want...)
			last := lastLine(r.stderr)
			if !strings.HasPrefix(last, "kiln-"+c.step+": error: ") {
				t.Fatalf("last stderr line %q is not kiln's one-line error", last)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil && c.step == "bake" {
				t.Fatal("a failed bake wrote a record")
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

// TestNewcomerMistakes: the mistakes a new user makes in a repository of their own each get
// one line naming the fix and the documented exit code, and nothing is deployed.
func TestNewcomerMistakes(t *testing.T) {
	const tf = "variable \"port\" {\n  type = number\n}\n\nresource \"terraform_data\" \"vm\" {\n  input = var.port\n}\n\n" +
		"output \"address\" {\n  value = \"127.0.0.1:${var.port}\"\n}\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, w *world)
		step  string
		args  []string
		env   map[string]string
		code  int
		want  []string
	}{
		{name: "no image variable: validate", step: "validate", code: 2,
			setup: func(t *testing.T, w *world) { writeFile(t, filepath.Join(w.dir, "terraform", "main.tf"), tf) },
			want:  []string{"FAIL environment dev: image variable image_id", `terraform/ declares no variable "image_id"`}},
		{name: "no image variable: deploy-dev", step: "deploy-dev", code: 2,
			setup: func(t *testing.T, w *world) {
				must(t, w.dir, "bake", nil)
				writeFile(t, filepath.Join(w.dir, "terraform", "main.tf"), tf)
			},
			want: []string{"kiln.yaml:9: environments.dev.image_var: terraform/ declares no variable \"image_id\"", "Terraform would never receive the image"}},
		{name: "image_var not declared", step: "deploy-dev", code: 2,
			setup: func(t *testing.T, w *world) {
				must(t, w.dir, "bake", nil)
				writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "  dev:\n    terraform: terraform/\n",
					"  dev:\n    terraform: terraform/\n    image_var: ami_id\n", 1))
			},
			want: []string{"kiln.yaml:11: environments.dev.image_var: terraform/ declares no variable \"ami_id\""}},
		{name: "missing terraform directory", step: "deploy-dev", code: 2,
			setup: func(t *testing.T, w *world) {
				must(t, w.dir, "bake", nil)
				os.RemoveAll(filepath.Join(w.dir, "terraform"))
			},
			want: []string{"kiln.yaml:10: environments.dev.terraform: terraform/ does not exist"}},
		{name: "missing packer directory: bake", step: "bake", code: 2,
			setup: func(t *testing.T, w *world) { os.RemoveAll(filepath.Join(w.dir, "packer")) },
			want:  []string{"kiln.yaml:5: packer.template: packer/ does not exist"}},
		{name: "missing packer directory: validate", step: "validate", code: 2,
			setup: func(t *testing.T, w *world) { os.RemoveAll(filepath.Join(w.dir, "packer")) },
			want:  []string{"packer.template: packer/ does not exist"}},
		{name: "misspelt flag", step: "deploy-dev", args: []string{"--enviroment", "dev"}, code: 2,
			want: []string{"unknown flag --enviroment (did you mean --environment?)"}},
		{name: "bad variable", step: "bake", env: map[string]string{"KILN_STOP_TIMEOUT": "soon"}, code: 2,
			want: []string{`KILN_STOP_TIMEOUT="soon": want a duration`}},
		{name: "name template typo", step: "bake", code: 2,
			setup: func(t *testing.T, w *world) {
				writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "  family: demo-web\n",
					"  family: demo-web\n  name: \"{{ .Family }}-{{ .Timestmp }}\"\n", 1))
			},
			want: []string{"kiln.yaml:4: image.name: unknown field .Timestmp (have .Family .Timestamp .Date .SHA .ShortSHA .Ref)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if c.setup != nil {
				c.setup(t, w)
			}
			r := kiln(t, w.dir, c.step, c.env, c.args...)
			if c.step == "validate" {
				if r.code != c.code {
					t.Fatalf("want exit %d, got %s", c.code, r)
				}
				for _, p := range c.want {
					if !strings.Contains(r.stdout+r.stderr, p) {
						t.Fatalf("output lacks %q: %s", p, r)
					}
				}
			} else {
				wantExit(t, r, c.code, c.want...)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "terraform", "terraform.tfstate.d")); err == nil && c.step != "validate" {
				t.Fatalf("Terraform state was written: %s", r)
			}
		})
	}
}

// TestHelpWord: `kiln-bake help` shows the help, like --help.
func TestHelpWord(t *testing.T) {
	w := newWorld(t)
	r := must(t, w.dir, "bake", nil, "help")
	if !strings.HasPrefix(r.stdout, "Usage: kiln-bake [flags]") {
		t.Fatalf("kiln-bake help: %s", r)
	}
}

// TestImageUnused: a configuration that declares the image variable but keeps it out of
// every resource deploys with a warning, and kiln-test refuses to vouch for it.
func TestImageUnused(t *testing.T) {
	w := newWorld(t)
	tf := readFile(t, filepath.Join(w.dir, "terraform", "main.tf"))
	writeFile(t, filepath.Join(w.dir, "terraform", "main.tf"), strings.Replace(tf, "input = var.image_id", "input = var.port", 1))
	must(t, w.dir, "bake", nil)
	r := must(t, w.dir, "deploy-dev", nil)
	if !strings.Contains(r.stderr, "warning: no resource of dev's Terraform state holds image") {
		t.Fatalf("kiln-deploy-dev does not warn: %s", r)
	}
	wantExit(t, kiln(t, w.dir, "test", nil), 1, "no resource of its configuration keeps the image id")
}

// TestToolLineAndPreflight: each step names the tool binary and version it uses, once, and
// Terraform's version JSON stays out of the log; a record path kiln-bake could not write is
// found before anything is built; git's "dubious ownership" is named as such.
func TestToolLineAndPreflight(t *testing.T) {
	w := newWorld(t)
	r := must(t, w.dir, "bake", nil)
	if strings.Count(r.stderr, "using packer 1.9.4 (") != 1 {
		t.Errorf("kiln-bake does not name its packer once:\n%s", r.stderr)
	}
	r = must(t, w.dir, "deploy-dev", nil)
	if strings.Count(r.stderr, "using terraform 1.5.7 (") != 1 || strings.Contains(r.stderr, `"terraform_version"`) {
		t.Errorf("kiln-deploy-dev's log:\n%s", r.stderr)
	}

	writeFile(t, filepath.Join(w.dir, "not-a-dir"), "")
	outputs := w.packerOutputs(t)
	wantExit(t, kiln(t, w.dir, "bake", nil, "--record", "not-a-dir/kiln-image.json"), 2, "--record: cannot write in "+filepath.Join(w.dir, "not-a-dir"), "nothing was built")
	if got := w.packerOutputs(t); len(got) != len(outputs) {
		t.Errorf("a bake refused before building built %v", got)
	}

	if os.Getuid() != 0 {
		t.Skip("a repository owned by another user needs root to make")
	}
	repo := t.TempDir()
	copyDir(t, w.dir, repo)
	for _, args := range [][]string{{"init", "-q"}, {"chown", "-R", "nobody", repo}} {
		cmd := exec.Command("git", args...)
		if args[0] == "chown" {
			cmd = exec.Command(args[0], args[1:]...)
		}
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("%v: %v %s", args, err, out)
		}
	}
	env := map[string]string{"KILN_SOURCE_SHA": ""}
	wantExit(t, kiln(t, repo, "bake", env), 2, `git's "dubious ownership"`, "safe.directory "+repo)
}

// TestValidateOutputs: a check that names an output the test environment's configuration
// does not declare fails kiln-validate (exit 2, kiln.yaml's line, the outputs there are),
// before any bake.
func TestValidateOutputs(t *testing.T) {
	w := newWorld(t)
	must(t, w.dir, "validate", nil)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "{{ .Outputs.address }}/healthz", "{{ .Outputs.adress }}/healthz", 1))
	r := kiln(t, w.dir, "validate", nil)
	wantExit(t, r, 2, "1 of 9 checks failed")
	if !strings.Contains(r.stdout, `FAIL test checks' outputs: `+filepath.Join(w.dir, "kiln.yaml")+`:20: test.checks[0]: check "health" uses output "adress", `+
		`which terraform/ (environment dev) does not declare (have address, image_id)`) {
		t.Fatalf("validate's report:\n%s", r.stdout)
	}
}

// TestValidateOutputsPerEnvironment: a check that runs in prod (its environments key) is
// checked against prod's configuration, not the test environment's.
func TestValidateOutputsPerEnvironment(t *testing.T) {
	w := newWorld(t)
	prodTF := filepath.Join(w.dir, "terraform-prod")
	copyDir(t, filepath.Join(w.dir, "terraform"), prodTF)
	main := readFile(t, filepath.Join(prodTF, "main.tf"))
	i := strings.Index(main, `output "address"`)
	if i < 0 {
		t.Fatalf("the fixture's main.tf has no address output:\n%s", main)
	}
	writeFile(t, filepath.Join(prodTF, "main.tf"), main[:i])
	cfg := strings.Replace(w.template, "  prod:\n    terraform: terraform/\n", "  prod:\n    terraform: terraform-prod/\n", 1)
	cfg = strings.Replace(cfg, "    - name: port-open\n", "    - name: prod-port\n      environments: [prod]\n      tcp:\n        address: \"{{ .Outputs.address }}\"\n    - name: port-open\n", 1)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)
	r := kiln(t, w.dir, "validate", nil)
	wantExit(t, r, 2)
	if !strings.Contains(r.stdout, `check "prod-port" uses output "address", which terraform-prod/ (environment prod) does not declare (have image_id)`) {
		t.Fatalf("validate's report:\n%s", r.stdout)
	}
}

// TestTestAfterDestroy: kiln-destroy-dev marks the record's deployment destroyed and drops its
// outputs from kiln.env; kiln-test then refuses it instead of testing outputs that point at
// nothing, while the tests that ran before the destroy still promote.
func TestTestAfterDestroy(t *testing.T) {
	w := newWorld(t)
	for _, s := range []string{"bake", "deploy-dev", "test", "destroy-dev"} {
		must(t, w.dir, s, nil)
	}
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := rec.Deployment("dev")
	if d == nil || d.Destroyed.IsZero() || len(d.Outputs) != 0 {
		t.Fatalf("dev's deployment after destroy-dev: %+v, want destroyed without outputs", d)
	}
	if env := readFile(t, filepath.Join(w.dir, "kiln.env")); strings.Contains(env, "KILN_OUTPUT_DEV_") {
		t.Errorf("kiln.env still offers dev's outputs after destroy-dev:\n%s", env)
	}
	wantExit(t, kiln(t, w.dir, "test", nil), 1, "dev was destroyed at ", "deploy the image again (kiln-deploy-dev)")
	must(t, w.dir, "promote", nil)
	// A second destroy has nothing to do and leaves the record as it is.
	before := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	must(t, w.dir, "destroy-dev", nil)
	if readFile(t, filepath.Join(w.dir, "kiln-image.json")) != before {
		t.Error("a second destroy-dev rewrote the record")
	}
	// Deployed again, it can be tested again.
	must(t, w.dir, "deploy-dev", nil)
	must(t, w.dir, "test", nil)
}

package ci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// TestGitLabDriftSnippet runs docs/lifecycle.md's scheduled drift job in gitlab-ci-local against a
// prod kiln promoted: in sync, the job passes and opens no issue; once prod's state is
// changed behind kiln's back, the job fails (kiln-drift exits 9) and one GitLab issue (the
// API fake) says what drifted, with the JSON report kept as an artifact.
func TestGitLabDriftSnippet(t *testing.T) {
	node := tool(t, "node", "")
	tool(t, "rsync", "")
	g := &gitlab{f: newFixture(t), exe: tool(t, "gitlab-ci-local", "KILN_GITLAB_CI_LOCAL")}
	g.env = g.f.env(t)
	g.env["PATH"] = filepath.Dir(node) + ":" + binDir + ":" + g.env["PATH"]
	writeFile(t, filepath.Join(g.f.repo, ".gitlab-ci.yml"), snippet(t, "gitlab-drift"))
	g.f.commit(t, "scheduled drift job")
	for _, s := range []string{"bake", "deploy-dev", "test", "promote"} {
		must(t, g.f.repo, g.env, filepath.Join(binDir, "kiln-"+s))
	}
	fake := gitlabtest.New(t)
	vars := []string{"CI_PIPELINE_SOURCE=schedule", "CI_API_V4_URL=" + fake.URL, "CI_PROJECT_ID=42", "KILN_GITLAB_TOKEN=" + fake.Token}

	log, _ := g.run(t, vars...)
	wantJobs(t, log, map[string]string{"drift": "PASS"})
	if !strings.Contains(log, "prod: in sync") || len(fake.Issues()) != 0 {
		t.Fatalf("in sync: issues %+v\n%s", fake.Issues(), log)
	}

	changeBehindKiln(t, filepath.Join(g.f.state, "prod", "terraform.tfstate"))
	log, _ = g.run(t, vars...)
	wantJobs(t, log, map[string]string{"drift": "FAIL"})
	issues := fake.Issues()
	if len(issues) != 1 || !strings.Contains(issues[0].Description, "prod: terraform_data.vm: update: input") {
		t.Fatalf("after drift: issues %+v\n%s", issues, log)
	}
	if _, err := os.Stat(g.artifact("drift", "kiln-drift.json")); err != nil {
		t.Errorf("the drift report is not an artifact: %v", err)
	}
}

// TestGitHubDriftSnippet lints docs/lifecycle.md's scheduled GitHub drift workflow with actionlint.
func TestGitHubDriftSnippet(t *testing.T) {
	actionlint := tool(t, "actionlint", "KILN_ACTIONLINT")
	wf := filepath.Join(t.TempDir(), ".github", "workflows", "drift.yml")
	writeFile(t, wf, snippet(t, "github-drift"))
	if out, code := run(t, filepath.Dir(wf), nil, actionlint, "-no-color", wf); code != 0 {
		t.Fatalf("actionlint: exit %d\n%s", code, out)
	}
	if !strings.Contains(readFile(t, filepath.Join(repoRoot, "action.yml")), "|drift|") {
		t.Fatal("action.yml does not accept step: drift")
	}
}

// TestJenkinsDriftSnippet runs the sh commands of docs/lifecycle.md's Jenkins drift pipeline in
// order, in one workspace, as Jenkins would, against a prod kiln promoted: they pass in sync,
// and the drift stage fails with exit 9 once prod's state changed behind kiln's back, the
// report naming the change.
func TestJenkinsDriftSnippet(t *testing.T) {
	f := newFixture(t)
	env := f.env(t)
	env["KILN_BIN_DIR"] = binDir
	copyDir(t, filepath.Join(repoRoot, "scripts"), filepath.Join(f.repo, "scripts"))
	f.commit(t, "fixture")
	for _, s := range []string{"bake", "deploy-dev", "test", "promote"} {
		must(t, f.repo, env, filepath.Join(binDir, "kiln-"+s))
	}
	cmds := stageCommands(snippet(t, "jenkins-drift"))
	if len(cmds) != 2 {
		t.Fatalf("sh steps %q", cmds)
	}
	stages := func() int {
		code := 0
		for _, c := range cmds {
			if _, code = run(t, f.repo, env, "sh", "-c", c); code != 0 {
				break
			}
		}
		return code
	}
	if code := stages(); code != 0 {
		t.Fatalf("in sync: exit %d", code)
	}
	changeBehindKiln(t, filepath.Join(f.state, "prod", "terraform.tfstate"))
	if code := stages(); code != 9 {
		t.Fatalf("drifted: exit %d, want 9", code)
	}
	if rep := readFile(t, filepath.Join(f.repo, "kiln-drift.json")); !strings.Contains(rep, `"address":"terraform_data.vm"`) &&
		!strings.Contains(rep, `"address": "terraform_data.vm"`) {
		t.Fatalf("report: %s", rep)
	}
}

// changeBehindKiln edits a state as someone outside kiln would: the first resource's input
// names another image, and the serial moves on.
func changeBehindKiln(t *testing.T, statePath string) {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(readFile(t, statePath)), &st); err != nil {
		t.Fatal(err)
	}
	attrs := st["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	attrs["input"].(map[string]any)["value"] = "local:sha256:" + strings.Repeat("0", 64)
	st["serial"] = st["serial"].(float64) + 1
	data, _ := json.Marshal(st)
	if err := os.WriteFile(statePath, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

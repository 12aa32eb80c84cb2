package ci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// TestGitLabDriftSnippet runs the README's scheduled drift job in gitlab-ci-local against a
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

	statePath := filepath.Join(g.f.state, "prod", "terraform.tfstate")
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

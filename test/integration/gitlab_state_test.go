package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// TestGitLabManagedState: with environments.dev.gitlab_state, kiln points Terraform's http
// backend at GitLab's Terraform state API (a fake here) with the job token: the state that
// lands there holds the record's image id, the token appears in no output, and a lock held
// by another pipeline exits 3 naming its lock id.
func TestGitLabManagedState(t *testing.T) {
	w := newWorld(t)
	mainTF := filepath.Join(w.dir, "terraform", "main.tf")
	writeFile(t, mainTF, "terraform {\n  backend \"http\" {}\n}\n\n"+readFile(t, mainTF))
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template,
		"  dev:\n    terraform: terraform/\n", "  dev:\n    terraform: terraform/\n    gitlab_state: demo-dev\n", 1))
	must(t, w.dir, "bake", nil)
	id := imageOf(t, readFile(t, filepath.Join(w.dir, "kiln-image.json")))

	const token = "glcbt-64_jobtoken-kiln-test-0001"
	f := gitlabtest.NewStateFake(t, token)
	env := map[string]string{"GITLAB_CI": "true", "CI_API_V4_URL": f.URL, "CI_PROJECT_ID": "42", "CI_JOB_TOKEN": token}
	r := must(t, w.dir, "deploy-dev", env)
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Fatal("the job token reached kiln's output")
	}
	if st := string(f.State("demo-dev")); !strings.Contains(st, id) {
		t.Fatalf("GitLab's state for demo-dev lacks %s:\n%s", id, st)
	}
	if f.Locked("demo-dev") {
		t.Fatal("kiln left the state locked")
	}

	f.HoldLock("demo-dev", map[string]string{"ID": "f00dfeed-held-by-pipeline-77", "Operation": "OperationTypeApply",
		"Who": "runner@pipeline-77", "Version": "1.5.7", "Created": "2026-11-21T10:00:00Z", "Path": "demo-dev"})
	// Terraform's http backend reports only the holder's lock id.
	wantExit(t, kiln(t, w.dir, "deploy-dev", env), 3, "lock id f00dfeed-held-by-pipeline-77")

	// Outside GitLab CI the settings are missing: a usage error, not a local state.
	noCI := kiln(t, w.dir, "deploy-dev", nil)
	wantExit(t, noCI, 2, "gitlab_state")
}

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// TestGitLabMergeRequestPlan: in the pipeline of an open master -> stable merge request,
// kiln-promote finds the record its head's master pipeline tested, only plans prod with
// that image (forced dry run), writes GitLab's Terraform report, and changes nothing: no
// apply, no record, no note. A head whose master pipeline failed is refused (exit 8).
func TestGitLabMergeRequestPlan(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	freshWorkspace(t, w)
	f, iid := stableMerge(t, gitlabMRUnmerged(), tested)
	env := gitlabEnv(f, sourceSHA, map[string]string{
		"CI_COMMIT_BRANCH":                    "",
		"CI_COMMIT_REF_NAME":                  "master",
		"CI_PIPELINE_SOURCE":                  "merge_request_event",
		"CI_MERGE_REQUEST_IID":                "1",
		"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "master",
		"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "stable",
		"CI_MERGE_REQUEST_PROJECT_URL":        f.WebURL,
		"KILN_PLAN_REPORT":                    "kiln-plan.json",
	})
	r := must(t, w.dir, "promote", env)
	if !strings.Contains(r.stdout, "dry run: prod would change") {
		t.Fatalf("merge request pipeline: %s", r)
	}
	var rep struct{ Create, Update, Delete int }
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(w.dir, "kiln-plan.json"))), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Create != 1 || rep.Update != 0 || rep.Delete != 0 {
		t.Fatalf("plan report %+v, want one create", rep)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
		t.Fatal("a merge request pipeline wrote the record")
	}
	if n := len(f.Notes(iid)); n != 0 {
		t.Fatalf("a merge request pipeline posted %d notes", n)
	}
	prodState := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	if _, err := os.Stat(prodState); err == nil && len(w.state(t, "prod")) > 0 {
		t.Fatal("a merge request pipeline deployed prod")
	}

	// The head's master pipeline failed: nothing tested it.
	f2, _ := stableMerge(t, gitlabMRUnmerged(), tested)
	f2.SetPipelineStatus(1001, "failed")
	env2 := gitlabEnv(f2, sourceSHA, nil)
	for k, v := range env {
		if strings.HasPrefix(k, "CI_MERGE_REQUEST_") || k == "CI_PIPELINE_SOURCE" || k == "CI_COMMIT_BRANCH" {
			env2[k] = v
		}
	}
	env2["CI_MERGE_REQUEST_PROJECT_URL"] = f2.WebURL
	wantExit(t, kiln(t, w.dir, "promote", env2), 8)
}

// gitlabMRUnmerged is a merge request not merged yet: it has no merge or squash commit.
func gitlabMRUnmerged() gitlabtest.MergeRequest { return gitlabtest.MergeRequest{} }

package gitlab

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// TestSyncDriftIssue: one issue per drifted environment, against the GitLab fake: opened on
// the first drift, left alone when the drift is the same, updated when it changes, closed
// when in sync; another environment's issue and issues of people are never touched.
func TestSyncDriftIssue(t *testing.T) {
	f := gitlabtest.New(t)
	c, err := New(Settings{APIURL: f.URL, Project: "42", Token: f.Token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	step := func(env string, drifted bool, body, want string) {
		t.Helper()
		got, err := c.SyncDriftIssue(ctx, env, drifted, body)
		if err != nil || got != want {
			t.Fatalf("SyncDriftIssue(%s, %v) = %q, %v; want %q", env, drifted, got, err, want)
		}
	}
	step("prod", false, "", "")
	step("prod", true, "prod: terraform_data.vm: update", "opened #1")
	step("prod", true, "prod: terraform_data.vm: update", "unchanged #1")
	step("dev", true, "dev: terraform_data.vm: replace", "opened #2")
	step("prod", true, "prod: terraform_data.vm: delete", "updated #1")
	step("prod", false, "", "closed #1")
	step("prod", true, "prod: again", "opened #3")
	issues := f.Issues()
	if len(issues) != 3 || issues[0].State != "closed" || issues[1].State != "opened" || issues[2].State != "opened" {
		t.Fatalf("issues: %+v", issues)
	}
	if !strings.Contains(issues[0].Description, "prod: terraform_data.vm: delete") || issues[0].Labels[0] != DriftLabel ||
		!strings.Contains(issues[1].Title, "environment dev") {
		t.Fatalf("issues: %+v", issues)
	}
	job, err := New(Settings{APIURL: f.URL, Project: "42", Token: f.JobToken, JobToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.SyncDriftIssue(ctx, "prod", true, "x"); err == nil || !strings.Contains(err.Error(), "KILN_GITLAB_TOKEN") {
		t.Errorf("with the job token: %v", err)
	}
}

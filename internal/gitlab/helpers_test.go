package gitlab

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// Commits of the scenarios: the merge request's head on master, and what landed on stable.
var (
	head     = strings.Repeat("0a", 20)
	mergeSHA = strings.Repeat("1b", 20)
	squashSH = strings.Repeat("2c", 20)
	otherSHA = strings.Repeat("3d", 20)
	imageID  = "local:sha256:" + strings.Repeat("ab", 32)
)

// recordFor returns the bytes of a record baked from commit, with tests of status
// (passed, failed, or "" for none).
func recordFor(t testing.TB, commit, status string) []byte {
	t.Helper()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	rec := record.New(record.Image{ID: imageID, Name: "demo-web-20261121-0a0a0a0a", Family: "demo-web",
		Builder: "file", Provider: "local", Artifacts: []record.Artifact{{Build: "file.image", BuilderID: "packer.file", ID: "File"}}},
		record.Source{Repo: "http://gitlab.example/acme/web", Commit: commit, Ref: "master"}, at)
	switch status {
	case record.StatusPassed:
		rec.Tests = &record.Tests{Status: status, Passed: 2, Total: 2, ImageID: imageID, Environment: "dev", At: at}
	case record.StatusFailed:
		rec.Tests = &record.Tests{Status: status, Passed: 1, Failed: 1, Total: 2, ImageID: imageID, Environment: "dev", At: at}
	}
	data, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// world is a fake GitLab holding a master -> stable promotion: a merge request, the
// master pipeline of its head with a test job and the record in that job's artifacts.
type world struct {
	fake     *gitlabtest.Fake
	iid      int64
	pipeline int64
	job      int64

	testJob, artifactPath string // the query's, when a case changes them
}

// relabel changes the world's merge request.
func (w *world) relabel(change func(mr *gitlabtest.MergeRequest)) {
	w.fake.UpdateMergeRequest(w.iid, change)
}

// happy sets up a merge request merged with a merge commit, whose head's master pipeline
// passed and whose test job holds a tested record.
func happy(t testing.TB) *world {
	t.Helper()
	f := gitlabtest.New(t)
	w := &world{fake: f}
	w.iid = f.AddMergeRequest(gitlabtest.MergeRequest{Title: "Release", State: "merged", SourceBranch: "master",
		TargetBranch: "stable", SHA: head, MergeCommitSHA: mergeSHA, Commits: []string{head}})
	w.pipeline = f.AddPipeline(head, "master", "success")
	f.AddJob(w.pipeline, "bake", "success", false)
	w.job = f.AddJob(w.pipeline, "test", "success", false)
	f.SetArtifact(w.job, "kiln-image.json", recordFor(t, head, record.StatusPassed))
	return w
}

// client returns a Client of the fake with its access token.
func (w *world) client(t testing.TB) *Client {
	t.Helper()
	c, err := New(Settings{APIURL: w.fake.URL, Project: "42", Token: w.fake.Token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func query(commit string) Query {
	return Query{Commit: commit, From: "master", To: "stable", TestJob: "test", ArtifactPath: "kiln-image.json"}
}

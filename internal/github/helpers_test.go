package github

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/github/githubtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// Commits of the scenarios: the pull request's head on master, and what landed on stable.
var (
	head     = strings.Repeat("0a", 20)
	mergeSHA = strings.Repeat("1b", 20)
	rebased1 = strings.Repeat("2c", 20) // a rebase merge's first copy; mergeSHA is its last
	otherSHA = strings.Repeat("3d", 20)
	imageID  = "local:sha256:" + strings.Repeat("ab", 32)
)

const workflow = ".github/workflows/kiln.yml"

// recordFor returns the bytes of a record baked from commit, with tests of status
// (passed, failed, or "" for none).
func recordFor(t testing.TB, commit, status string) []byte {
	t.Helper()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	rec := record.New(record.Image{ID: imageID, Name: "demo-web-20261121-0a0a0a0a", Family: "demo-web",
		Builder: "file", Provider: "local", Artifacts: []record.Artifact{{Build: "file.image", BuilderID: "packer.file", ID: "File"}}},
		record.Source{Repo: "https://github.example/acme/web", Commit: commit, Ref: "master"}, at)
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

// world is a fake GitHub holding a master -> stable promotion: a pull request merged with a
// merge commit, the push run of its head on master with a dev job and the kiln-record
// artifact holding the tested record.
type world struct {
	fake     *githubtest.Fake
	number   int
	run      int64
	job      int64
	artifact int64
	q        Query
}

func happy(t testing.TB) *world {
	t.Helper()
	f := githubtest.New(t)
	w := &world{fake: f, q: query(mergeSHA)}
	w.number = f.AddPullRequest(githubtest.PullRequest{Title: "Release", State: "closed", Merged: true, Head: "master",
		Base: "stable", HeadSHA: head, MergeCommitSHA: mergeSHA, Commits: []string{head}})
	w.run = f.AddRun(workflow, "push", "master", head, "success")
	f.AddJob(w.run, "kiln / validate", "success", false)
	f.AddJob(w.run, "kiln / bake", "success", false)
	w.job = f.AddJob(w.run, "kiln / dev", "success", false)
	w.artifact = f.AddArtifact(t, w.run, "kiln-record", map[string][]byte{
		"kiln-image.json": recordFor(t, head, record.StatusPassed),
		"kiln.env":        []byte("KILN_IMAGE_ID=" + imageID + "\n"),
	})
	return w
}

// relabel changes the world's pull request.
func (w *world) relabel(change func(pr *githubtest.PullRequest)) {
	w.fake.UpdatePullRequest(w.number, change)
}

// client returns a Client of the fake with its full token.
func (w *world) client(t testing.TB) *Client {
	t.Helper()
	return clientWith(t, w.fake, w.fake.Token, false)
}

func clientWith(t testing.TB, f *githubtest.Fake, token string, job bool) *Client {
	t.Helper()
	c, err := New(Settings{APIURL: f.URL, Owner: githubtest.Owner, Repo: githubtest.Repo, Token: token, JobToken: job})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func query(commit string) Query {
	return Query{Commit: commit, From: "master", To: "stable", Workflow: workflow, TestJob: "dev",
		Artifact: "kiln-record", RecordPath: "kiln-image.json"}
}

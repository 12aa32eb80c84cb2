// Package githubtest is a fake of the GitHub REST API for tests: an httptest server on
// 127.0.0.1 that serves, from state the test sets up, the endpoints kiln-promote uses, with
// the request and response shapes GitHub documents (https://docs.github.com/rest: commits,
// pulls, actions/workflow-runs, actions/workflow-jobs, actions/artifacts, issues/comments):
//
//	GET  /repos/{owner}/{repo}/commits/{commit_sha}/pulls
//	GET  /repos/{owner}/{repo}/pulls/{pull_number}
//	GET  /repos/{owner}/{repo}/actions/runs                      (branch, event, status, head_sha)
//	GET  /repos/{owner}/{repo}/actions/runs/{run_id}/jobs         (filter=latest|all)
//	GET  /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts    (name)
//	GET  /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip   302 to the storage, 410 once expired
//	GET  /repos/{owner}/{repo}/issues/{issue_number}/comments
//	POST /repos/{owner}/{repo}/issues/{issue_number}/comments
//
// and, standing in for the storage those downloads redirect to, GET /_storage/{id}?sig=...,
// a signed URL that refuses any request carrying an Authorization header (the token must
// never reach the storage). It checks the Authorization header (401 "Bad credentials"
// without a known token; ReadToken, like a GITHUB_TOKEN without pull-requests: write, gets
// 403 "Resource not accessible by integration" on comments), pages lists with page and
// per_page (default 30, at most 100) and a Link header, and answers errors as
// {"message": ..., "documentation_url": ...}. The commits endpoint lists merged and open pull
// requests alike, as GitHub does for a commit outside the default branch (its documentation
// said "only open" until 2025: github/docs#36646). It is a fake, not GitHub: it is only as
// faithful as these documented shapes, and it records every request so tests can count them.
package githubtest

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// The one repository the fake serves.
const (
	Owner = "acme"
	Repo  = "web"
)

// Fake is a running fake GitHub API. Runs, jobs, artifacts and comments share one id
// sequence starting at 1001, in the order the test adds them; pull requests are numbered
// #1, #2...
type Fake struct {
	// URL is the API's base, http://127.0.0.1:PORT, as GITHUB_API_URL gives it.
	URL string
	// ServerURL is the web server's base, as GITHUB_SERVER_URL gives it; html_url fields
	// start with ServerURL + "/acme/web".
	ServerURL string
	// Token may read everything and comment.
	Token string
	// ReadToken may read but not comment, like a GITHUB_TOKEN without pull-requests: write.
	ReadToken string

	mu        sync.Mutex
	pulls     []*PullRequest
	runs      []*Run
	jobs      []*Job
	artifacts []*Artifact
	comments  map[int][]*Comment
	rec       testkit.Recorder
	nextID    int64
	now       time.Time
}

// PullRequest is a pull request of the fake repository.
type PullRequest struct {
	Number  int
	Title   string
	State   string // open or closed
	Merged  bool   // closed by a merge (merged_at set)
	Head    string // the head branch
	Base    string // the base branch
	HeadSHA string
	// MergeCommitSHA is the merge commit, the squashed commit or the last rebased commit
	// of a merged pull request (GitHub's merge_commit_sha).
	MergeCommitSHA string
	// Commits are the pull request's own commits; Landed the commits its merge put on the
	// base branch (a rebase merge's copies). The commits endpoint lists the pull request for
	// each of them, for its head and for its merge_commit_sha.
	Commits, Landed []string
	// Fork names the fork the head branch is in ("" for this repository; "-" for a deleted
	// fork, whose head repo is null).
	Fork string
}

// Run is a workflow run.
type Run struct {
	ID         int64
	Number     int
	Path       string // .github/workflows/kiln.yml
	Event      string // push, pull_request, ...
	Branch     string
	HeadSHA    string
	Status     string // queued, in_progress, completed
	Conclusion string // success, failure, cancelled, skipped, ... ("" until completed)
	// PullRequests are the numbers of the pull requests GitHub lists in the run's
	// pull_requests (SetRunPullRequests); none by default.
	PullRequests []int
}

// Job is a job of a run.
type Job struct {
	ID         int64
	RunID      int64
	Name       string
	Status     string
	Conclusion string
	Retried    bool // of an earlier attempt: listed only with filter=all
}

// Artifact is an artifact of a run: a zip of Files.
type Artifact struct {
	ID      int64
	RunID   int64
	Name    string
	Expired bool
	zip     []byte
	sig     string
}

// Comment is a comment on a pull request (an issue comment).
type Comment struct {
	ID     int64
	Body   string
	Author string
}

// New starts a fake GitHub and stops it when t ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		Token:     "ghs_fakeTokenThatMayComment000000000000",
		ReadToken: "ghs_fakeReadOnlyToken00000000000000000",
		comments:  map[int][]*Comment{},
		nextID:    1000,
		now:       time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
	}
	srv := httptest.NewServer(f.routes())
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	f.ServerURL = srv.URL + "/_web"
	return f
}

// AddPullRequest adds pr (numbered when its Number is 0) and returns its number.
func (f *Fake) AddPullRequest(pr PullRequest) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pr.Number == 0 {
		pr.Number = len(f.pulls) + 1
	}
	f.pulls = append(f.pulls, &pr)
	return pr.Number
}

// UpdatePullRequest changes pull request number.
func (f *Fake) UpdatePullRequest(number int, change func(pr *PullRequest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pr := range f.pulls {
		if pr.Number == number {
			change(pr)
		}
	}
}

// AddRun adds a completed run of the workflow file path with the given conclusion and
// returns its id.
func (f *Fake) AddRun(path, event, branch, sha, conclusion string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	n := 1
	for _, r := range f.runs {
		if r.Path == path {
			n++
		}
	}
	status := "completed"
	if conclusion == "" {
		status = "in_progress"
	}
	f.runs = append(f.runs, &Run{ID: f.nextID, Number: n, Path: path, Event: event, Branch: branch, HeadSHA: sha,
		Status: status, Conclusion: conclusion})
	return f.nextID
}

// SetRunConclusion changes a run's conclusion (and completes it).
func (f *Fake) SetRunConclusion(id int64, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.runs {
		if r.ID == id {
			r.Status, r.Conclusion = "completed", conclusion
		}
	}
}

// SetRunPullRequests sets the pull requests a run lists (a pull_request run of this
// repository's branch lists its pull request).
func (f *Fake) SetRunPullRequests(id int64, numbers ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.runs {
		if r.ID == id {
			r.PullRequests = numbers
		}
	}
}

// AddJob adds a completed job to a run and returns its id.
func (f *Fake) AddJob(runID int64, name, conclusion string, retried bool) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.jobs = append(f.jobs, &Job{ID: f.nextID, RunID: runID, Name: name, Status: "completed", Conclusion: conclusion, Retried: retried})
	return f.nextID
}

// SetJobConclusion changes a job's conclusion.
func (f *Fake) SetJobConclusion(id int64, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.ID == id {
			j.Conclusion = conclusion
		}
	}
}

// AddArtifact zips files (path in the archive -> content) as an artifact called name of a
// run and returns its id.
func (f *Fake) AddArtifact(t testing.TB, runID int64, name string, files map[string][]byte) int64 {
	t.Helper()
	return f.AddArtifactZip(runID, name, Zip(t, files))
}

// AddArtifactZip adds data, as it is, as the archive of an artifact of a run.
func (f *Fake) AddArtifactZip(runID int64, name string, data []byte) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	sig := make([]byte, 16)
	rand.Read(sig)
	f.artifacts = append(f.artifacts, &Artifact{ID: f.nextID, RunID: runID, Name: name, zip: data, sig: hex.EncodeToString(sig)})
	return f.nextID
}

// ExpireArtifact marks an artifact expired: listed with expired true, no longer downloadable.
func (f *Fake) ExpireArtifact(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.artifacts {
		if a.ID == id {
			a.Expired = true
		}
	}
}

// Zip returns a zip archive of files, as upload-artifact builds one.
func Zip(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// AddComment adds a comment to a pull request, as a user would.
func (f *Fake) AddComment(number int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addComment(number, body, "someone")
}

func (f *Fake) addComment(number int, body, author string) *Comment {
	f.nextID++
	c := &Comment{ID: f.nextID, Body: body, Author: author}
	f.comments[number] = append(f.comments[number], c)
	return c
}

// Comments returns a copy of a pull request's comments, oldest first.
func (f *Fake) Comments(number int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Comment, 0, len(f.comments[number]))
	for _, c := range f.comments[number] {
		out = append(out, *c)
	}
	return out
}

// Fail makes every request whose "METHOD /path" contains part answer status (with a JSON
// message): Fail("/actions/runs", 502), Fail("POST /repos/acme/web/issues/1/comments", 500).
func (f *Fake) Fail(part string, status int) { f.rec.Fail(part, status) }

// Requests returns every request served so far, as "METHOD /path?query" with the
// authorization scheme: "GET /repos/acme/web/actions/runs?branch=master [Bearer]".
func (f *Fake) Requests() []string { return f.rec.Requests() }

// Package gitlabtest is a fake of the GitLab REST API (v4) for tests: an httptest server on
// 127.0.0.1 that serves, from state the test sets up, the endpoints kiln-promote uses,
// with the request and response shapes GitLab documents
// (https://docs.gitlab.com/api/commits/, /api/pipelines/, /api/jobs/, /api/job_artifacts/,
// /api/merge_requests/, /api/notes/, /api/issues/):
//
//	GET  /api/v4/projects/:id/repository/commits/:sha/merge_requests
//	GET  /api/v4/projects/:id/pipelines            (sha, ref, status, order_by, sort)
//	GET  /api/v4/projects/:id/pipelines/:pipeline_id/jobs   (scope[], include_retried)
//	GET  /api/v4/projects/:id/jobs/:job_id/artifacts/*artifact_path
//	GET  /api/v4/projects/:id/merge_requests/:merge_request_iid/pipelines
//	GET  /api/v4/projects/:id/merge_requests/:merge_request_iid/notes
//	POST /api/v4/projects/:id/merge_requests/:merge_request_iid/notes
//	GET  /api/v4/projects/:id/issues               (state, labels)
//	POST /api/v4/projects/:id/issues
//	PUT  /api/v4/projects/:id/issues/:issue_iid    (description, state_event)
//
// It checks the PRIVATE-TOKEN and JOB-TOKEN headers (401 without a known token; the job
// token may download artifacts, may read the rest only when JobTokenReads is set, as
// GitLab's fine-grained job token permissions allow, and is refused notes with 403), pages
// lists with page and per_page (X-Page, X-Next-Page, X-Total and Link headers), and answers
// errors as {"message": "..."}. It is a fake, not GitLab: it is only as faithful as these
// documented shapes, and it records every request so tests can count them.
package gitlabtest

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// ProjectID is the id of the one project the fake serves.
const ProjectID = 42

// Fake is a running fake GitLab API. Pipelines, jobs and notes share one id sequence
// starting at 1001, in the order the test adds them; merge requests are numbered !1, !2...
type Fake struct {
	// URL is the API's base, http://127.0.0.1:PORT/api/v4, as CI_API_V4_URL gives it.
	URL string
	// WebURL is the project's web address; web_url fields start with it.
	WebURL string
	// Token is the access token (PRIVATE-TOKEN) the fake accepts.
	Token string
	// JobToken is the CI job token (JOB-TOKEN) the fake accepts.
	JobToken string

	mu            sync.Mutex
	jobTokenReads bool
	mrs           []*MergeRequest
	pipelines     []*Pipeline
	jobs          []*Job
	artifacts     map[artifactKey][]byte
	notes         map[int64][]*Note
	issues        []*Issue
	rec           testkit.Recorder
	nextID        int64
	now           time.Time
}

// MergeRequest is a merge request of the fake project.
type MergeRequest struct {
	IID             int64
	Title           string
	State           string // opened, closed, locked, merged
	SourceBranch    string
	TargetBranch    string
	SHA             string // the source branch's head
	MergeCommitSHA  string
	SquashCommitSHA string
	// Commits are the commits of the merge request's diff; the commit endpoint lists the
	// merge request for them as for its merge and squash commits.
	Commits []string
	// FromFork makes the source project another project (a fork).
	FromFork bool
}

// Pipeline is a pipeline of the fake project. A merge request pipeline has the ref
// refs/merge-requests/IID/head (or /merge, for merged results).
type Pipeline struct {
	ID     int64
	SHA    string
	Ref    string
	Status string // created, pending, running, success, failed, canceled, skipped, manual
}

// Job is a job of a pipeline.
type Job struct {
	ID         int64
	PipelineID int64
	Name       string
	Status     string
	Retried    bool // an earlier attempt, listed only with include_retried
}

// Note is a comment on a merge request.
type Note struct {
	ID     int64
	Body   string
	System bool
	Author string // username
}

type artifactKey struct {
	job  int64
	path string
}

// New starts a fake GitLab and stops it when t ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		Token:     "glpat-fake-access-token",
		JobToken:  "glcbt-fake-job-token",
		artifacts: map[artifactKey][]byte{},
		notes:     map[int64][]*Note{},
		nextID:    1000,
		now:       time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
	}
	srv := httptest.NewServer(f.routes())
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/api/v4"
	f.WebURL = srv.URL + "/acme/web"
	return f
}

// AllowJobTokenReads lets the job token read merge requests, pipelines, jobs and notes,
// as GitLab's fine-grained job token permissions can; it still may not create notes.
func (f *Fake) AllowJobTokenReads() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobTokenReads = true
}

// AddMergeRequest adds mr (numbered when its IID is 0) and returns its IID.
func (f *Fake) AddMergeRequest(mr MergeRequest) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if mr.IID == 0 {
		mr.IID = int64(len(f.mrs) + 1)
	}
	f.mrs = append(f.mrs, &mr)
	return mr.IID
}

// UpdateMergeRequest changes the merge request iid.
func (f *Fake) UpdateMergeRequest(iid int64, change func(mr *MergeRequest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, mr := range f.mrs {
		if mr.IID == iid {
			change(mr)
		}
	}
}

// SetPipelineStatus changes a pipeline's status.
func (f *Fake) SetPipelineStatus(id int64, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pipelines {
		if p.ID == id {
			p.Status = status
		}
	}
}

// AddPipeline adds a pipeline and returns its id.
func (f *Fake) AddPipeline(sha, ref, status string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.pipelines = append(f.pipelines, &Pipeline{ID: f.nextID, SHA: sha, Ref: ref, Status: status})
	return f.nextID
}

// AddJob adds a job to a pipeline and returns its id.
func (f *Fake) AddJob(pipelineID int64, name, status string, retried bool) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.jobs = append(f.jobs, &Job{ID: f.nextID, PipelineID: pipelineID, Name: name, Status: status, Retried: retried})
	return f.nextID
}

// SetArtifact stores data as the file at path in a job's artifacts.
func (f *Fake) SetArtifact(jobID int64, path string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.artifacts[artifactKey{jobID, path}] = append([]byte(nil), data...)
}

// AddNote adds a note to a merge request, as a user (or the system) would.
func (f *Fake) AddNote(iid int64, body string, system bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addNote(iid, body, system, "someone")
}

func (f *Fake) addNote(iid int64, body string, system bool, author string) *Note {
	f.nextID++
	n := &Note{ID: f.nextID, Body: body, System: system, Author: author}
	f.notes[iid] = append(f.notes[iid], n)
	return n
}

// Notes returns a copy of a merge request's notes, oldest first.
func (f *Fake) Notes(iid int64) []Note {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Note, 0, len(f.notes[iid]))
	for _, n := range f.notes[iid] {
		out = append(out, *n)
	}
	return out
}

// Fail makes every request whose "METHOD /path" contains part answer status (with a JSON
// message): Fail("/pipelines", 502), Fail("POST /api/v4/projects/42/merge_requests/1/notes", 500).
func (f *Fake) Fail(part string, status int) { f.rec.Fail(part, status) }

// Requests returns every request served so far, as "METHOD /path?query" with the
// authentication header's name: "GET /api/v4/projects/42/pipelines?ref=master [PRIVATE-TOKEN]".
func (f *Fake) Requests() []string { return f.rec.Requests() }

package gitlabtest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// access is what a request's token may do.
type access int

const (
	read      access = iota // the API's reads
	artifacts               // downloading job artifacts
	write                   // creating notes and issues
)

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	const p = "/api/v4/projects/{id}"
	mux.HandleFunc("GET "+p+"/repository/commits/{sha}/merge_requests", f.guard(read, f.commitMergeRequests))
	mux.HandleFunc("GET "+p+"/pipelines", f.guard(read, f.listPipelines))
	mux.HandleFunc("GET "+p+"/pipelines/{pipeline}/jobs", f.guard(read, f.pipelineJobs))
	mux.HandleFunc("GET "+p+"/jobs/{job}/artifacts/{path...}", f.guard(artifacts, f.artifact))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/pipelines", f.guard(read, f.mergeRequestPipelines))
	mux.HandleFunc("GET "+p+"/merge_requests/{iid}/notes", f.guard(read, f.listNotes))
	mux.HandleFunc("POST "+p+"/merge_requests/{iid}/notes", f.guard(write, f.createNote))
	mux.HandleFunc("GET "+p+"/issues", f.guard(read, f.listIssues))
	mux.HandleFunc("POST "+p+"/issues", f.guard(write, f.createIssue))
	mux.HandleFunc("PUT "+p+"/issues/{iid}", f.guard(write, f.editIssue))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.rec.Record(r, "")
		message(w, http.StatusNotFound, "404 Not Found")
	})
	return mux
}

// guard logs the request, answers injected failures, checks the token and the project,
// and hands the request on under the fake's lock.
func (f *Fake) guard(need access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		private, job := r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("JOB-TOKEN")
		auth := ""
		switch {
		case private != "":
			auth = "PRIVATE-TOKEN"
		case job != "":
			auth = "JOB-TOKEN"
		}
		if status := f.rec.Record(r, auth); status != 0 {
			message(w, status, strconv.Itoa(status)+" "+http.StatusText(status))
			return
		}
		switch {
		case private != "" && private == f.Token:
		case private == "" && job != "" && job == f.JobToken:
			if need == write || (need == read && !f.jobTokenReads) {
				message(w, http.StatusForbidden, "403 Forbidden")
				return
			}
		default:
			message(w, http.StatusUnauthorized, "401 Unauthorized")
			return
		}
		if r.PathValue("id") != strconv.Itoa(ProjectID) {
			message(w, http.StatusNotFound, "404 Project Not Found")
			return
		}
		h(w, r)
	}
}

// commitMergeRequests lists the merge requests related to a commit: those whose diff
// holds it and those it is the merge or squash commit of.
func (f *Fake) commitMergeRequests(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	var out []any
	for _, mr := range f.mrs {
		if sha == mr.SHA || sha == mr.MergeCommitSHA || sha == mr.SquashCommitSHA || slices.Contains(mr.Commits, sha) {
			out = append(out, f.mergeRequestJSON(mr))
		}
	}
	page(w, r, out)
}

func (f *Fake) listPipelines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ps []*Pipeline
	for _, p := range f.pipelines {
		if match(q.Get("sha"), p.SHA) && match(q.Get("ref"), p.Ref) && match(q.Get("status"), p.Status) {
			ps = append(ps, p)
		}
	}
	if ob := q.Get("order_by"); ob != "" && ob != "id" {
		message(w, http.StatusBadRequest, "order_by does not have a valid value")
		return
	}
	asc := q.Get("sort") == "asc"
	slices.SortFunc(ps, func(a, b *Pipeline) int {
		if asc {
			return int(a.ID - b.ID)
		}
		return int(b.ID - a.ID)
	})
	out := make([]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, f.pipelineJSON(p))
	}
	page(w, r, out)
}

func (f *Fake) pipelineJobs(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("pipeline"), 10, 64)
	p := f.pipeline(id)
	if p == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	scopes := r.URL.Query()["scope[]"]
	retried := r.URL.Query().Get("include_retried") == "true"
	out := []any{}
	for _, j := range f.jobs {
		if j.PipelineID == id && (retried || !j.Retried) && (len(scopes) == 0 || slices.Contains(scopes, j.Status)) {
			out = append(out, f.jobJSON(j, p))
		}
	}
	page(w, r, out)
}

func (f *Fake) artifact(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("job"), 10, 64)
	data, ok := f.artifacts[artifactKey{id, r.PathValue("path")}]
	if !ok {
		message(w, http.StatusNotFound, "404 Not Found")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}

// mergeRequestPipelines lists a merge request's pipelines, newest first: those on its
// refs/merge-requests/IID/ refs (merge request pipelines), and the source branch's
// pipelines of its head and commits, which GitLab lists there too.
func (f *Fake) mergeRequestPipelines(w http.ResponseWriter, r *http.Request) {
	iid, ok := f.mergeRequest(w, r)
	if !ok {
		return
	}
	var mr *MergeRequest
	for _, m := range f.mrs {
		if m.IID == iid {
			mr = m
		}
	}
	prefix := "refs/merge-requests/" + strconv.FormatInt(iid, 10) + "/"
	out := []any{}
	for i := len(f.pipelines) - 1; i >= 0; i-- {
		p := f.pipelines[i]
		branch := p.Ref == mr.SourceBranch && (p.SHA == mr.SHA || slices.Contains(mr.Commits, p.SHA))
		if strings.HasPrefix(p.Ref, prefix) || branch {
			out = append(out, f.pipelineJSON(p))
		}
	}
	page(w, r, out)
}

func (f *Fake) listNotes(w http.ResponseWriter, r *http.Request) {
	iid, ok := f.mergeRequest(w, r)
	if !ok {
		return
	}
	out := []any{}
	for _, n := range f.notes[iid] {
		out = append(out, f.noteJSON(n, iid))
	}
	if r.URL.Query().Get("sort") != "asc" { // GitLab's default order is newest first
		slices.Reverse(out)
	}
	page(w, r, out)
}

func (f *Fake) createNote(w http.ResponseWriter, r *http.Request) {
	iid, ok := f.mergeRequest(w, r)
	if !ok {
		return
	}
	body := ""
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		var in struct {
			Body string `json:"body"`
		}
		data, _ := io.ReadAll(r.Body)
		if json.Unmarshal(data, &in) != nil {
			message(w, http.StatusBadRequest, "400 Bad request - malformed JSON")
			return
		}
		body = in.Body
	} else {
		body = r.FormValue("body")
	}
	if strings.TrimSpace(body) == "" {
		testkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing, body is empty"})
		return
	}
	n := f.addNote(iid, body, false, "project_42_bot")
	testkit.WriteJSON(w, http.StatusCreated, f.noteJSON(n, iid))
}

// mergeRequest resolves the {iid} of a request, answering 404 for an unknown one.
func (f *Fake) mergeRequest(w http.ResponseWriter, r *http.Request) (int64, bool) {
	iid, _ := strconv.ParseInt(r.PathValue("iid"), 10, 64)
	for _, mr := range f.mrs {
		if mr.IID == iid {
			return iid, true
		}
	}
	message(w, http.StatusNotFound, "404 Not found")
	return 0, false
}

func (f *Fake) pipeline(id int64) *Pipeline {
	for _, p := range f.pipelines {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// match reports whether a list filter (empty for none) lets value through.
func match(filter, value string) bool { return filter == "" || filter == value }

package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// access is what a request's token may do.
type access int

const (
	read  access = iota // the API's reads
	write               // creating comments
)

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	const p = "/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+p+"/commits/{sha}/pulls", f.guard(read, f.commitPulls))
	mux.HandleFunc("GET "+p+"/pulls/{number}", f.guard(read, f.getPull))
	mux.HandleFunc("GET "+p+"/actions/runs", f.guard(read, f.listRuns))
	mux.HandleFunc("GET "+p+"/actions/runs/{run}/jobs", f.guard(read, f.runJobs))
	mux.HandleFunc("GET "+p+"/actions/runs/{run}/artifacts", f.guard(read, f.runArtifacts))
	mux.HandleFunc("GET "+p+"/actions/artifacts/{id}/{format}", f.guard(read, f.downloadArtifact))
	mux.HandleFunc("GET "+p+"/issues/{number}/comments", f.guard(read, f.listComments))
	mux.HandleFunc("POST "+p+"/issues/{number}/comments", f.guard(write, f.createComment))
	mux.HandleFunc("GET /_storage/{id}", f.storage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.rec.Record(r, scheme(r))
		message(w, http.StatusNotFound, "Not Found")
	})
	return mux
}

// guard logs the request, answers injected failures, checks the token and the repository,
// and hands the request on under the fake's lock.
func (f *Fake) guard(need access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if status := f.rec.Record(r, scheme(r)); status != 0 {
			message(w, status, http.StatusText(status))
			return
		}
		auth := r.Header.Get("Authorization")
		_, token, _ := strings.Cut(auth, " ")
		switch {
		case token != "" && token == f.Token:
		case token != "" && token == f.ReadToken:
			if need == write {
				message(w, http.StatusForbidden, "Resource not accessible by integration")
				return
			}
		default:
			message(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
		if r.PathValue("owner") != Owner || r.PathValue("repo") != Repo {
			message(w, http.StatusNotFound, "Not Found")
			return
		}
		h(w, r)
	}
}

// scheme is the authorization scheme of r ("Bearer", "token"), as the request log names it.
func scheme(r *http.Request) string {
	if s, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		return s
	}
	return ""
}

// commitPulls lists the pull requests associated with a commit: those whose head, merge
// commit, own commits or landed commits it is.
func (f *Fake) commitPulls(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	var out []any
	for _, pr := range f.pulls {
		merge := pr.Merged && sha == pr.MergeCommitSHA
		if sha == pr.HeadSHA || merge || slices.Contains(pr.Commits, sha) || slices.Contains(pr.Landed, sha) {
			out = append(out, f.pullJSON(pr, false))
		}
	}
	page(w, r, out, nil)
}

func (f *Fake) getPull(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	for _, pr := range f.pulls {
		if pr.Number == n {
			writeJSON(w, http.StatusOK, f.pullJSON(pr, true))
			return
		}
	}
	message(w, http.StatusNotFound, "Not Found")
}

// listRuns: branch, event, head_sha, and status (a status or a conclusion), newest first.
func (f *Fake) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []any
	for i := len(f.runs) - 1; i >= 0; i-- {
		run := f.runs[i]
		status := q.Get("status")
		if match(q.Get("branch"), run.Branch) && match(q.Get("event"), run.Event) && match(q.Get("head_sha"), run.HeadSHA) &&
			(status == "" || status == run.Status || status == run.Conclusion) {
			out = append(out, f.runJSON(run))
		}
	}
	page(w, r, out, func(items []any) any { return map[string]any{"total_count": len(out), "workflow_runs": items} })
}

func (f *Fake) runJobs(w http.ResponseWriter, r *http.Request) {
	run := f.run(r)
	if run == nil {
		message(w, http.StatusNotFound, "Not Found")
		return
	}
	filter := r.URL.Query().Get("filter")
	if filter != "" && filter != "latest" && filter != "all" {
		message(w, http.StatusUnprocessableEntity, "Invalid filter")
		return
	}
	var out []any
	for _, j := range f.jobs {
		if j.RunID == run.ID && (filter == "all" || !j.Retried) {
			out = append(out, f.jobJSON(j, run))
		}
	}
	page(w, r, out, func(items []any) any { return map[string]any{"total_count": len(out), "jobs": items} })
}

func (f *Fake) runArtifacts(w http.ResponseWriter, r *http.Request) {
	run := f.run(r)
	if run == nil {
		message(w, http.StatusNotFound, "Not Found")
		return
	}
	name := r.URL.Query().Get("name")
	var out []any
	for _, a := range f.artifacts {
		if a.RunID == run.ID && match(name, a.Name) {
			out = append(out, f.artifactJSON(a, run))
		}
	}
	page(w, r, out, func(items []any) any { return map[string]any{"total_count": len(out), "artifacts": items} })
}

// downloadArtifact answers 302 with a signed URL of the storage, or 410 once expired.
func (f *Fake) downloadArtifact(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("format") != "zip" {
		message(w, http.StatusNotFound, "Not Found")
		return
	}
	a := f.artifact(r.PathValue("id"))
	switch {
	case a == nil:
		message(w, http.StatusNotFound, "Not Found")
	case a.Expired:
		message(w, http.StatusGone, "Artifact has expired")
	default:
		u := f.URL + "/_storage/" + strconv.FormatInt(a.ID, 10) + "?" + url.Values{"sig": {a.sig}, "se": {f.now.Add(time.Minute).Format(time.RFC3339)}}.Encode()
		w.Header().Set("Location", u)
		w.WriteHeader(http.StatusFound)
	}
}

// storage serves an archive at its signed URL, to a request without Authorization only.
func (f *Fake) storage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rec.Record(r, scheme(r)) // injected failures are the API's, not the storage's
	a := f.artifact(r.PathValue("id"))
	switch {
	case r.Header.Get("Authorization") != "":
		http.Error(w, "AuthenticationFailed: a signed URL takes no Authorization header", http.StatusBadRequest)
	case a == nil || a.Expired || r.URL.Query().Get("sig") != a.sig:
		http.Error(w, "AuthenticationFailed", http.StatusForbidden)
	default:
		w.Header().Set("Content-Type", "application/zip")
		w.Write(a.zip)
	}
}

func (f *Fake) listComments(w http.ResponseWriter, r *http.Request) {
	n, ok := f.pull(w, r)
	if !ok {
		return
	}
	var out []any
	for _, c := range f.comments[n] { // oldest first, as GitHub lists them
		out = append(out, f.commentJSON(c, n))
	}
	page(w, r, out, nil)
}

func (f *Fake) createComment(w http.ResponseWriter, r *http.Request) {
	n, ok := f.pull(w, r)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	data, _ := io.ReadAll(r.Body)
	if json.Unmarshal(data, &in) != nil {
		message(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if in.Body == nil || strings.TrimSpace(*in.Body) == "" {
		message(w, http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	c := f.addComment(n, *in.Body, "github-actions[bot]")
	writeJSON(w, http.StatusCreated, f.commentJSON(c, n))
}

// pull resolves the {number} of a request, answering 404 for an unknown pull request.
func (f *Fake) pull(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	for _, pr := range f.pulls {
		if pr.Number == n {
			return n, true
		}
	}
	message(w, http.StatusNotFound, "Not Found")
	return 0, false
}

func (f *Fake) run(r *http.Request) *Run {
	id, _ := strconv.ParseInt(r.PathValue("run"), 10, 64)
	for _, run := range f.runs {
		if run.ID == id {
			return run
		}
	}
	return nil
}

func (f *Fake) artifact(id string) *Artifact {
	n, _ := strconv.ParseInt(id, 10, 64)
	for _, a := range f.artifacts {
		if a.ID == n {
			return a
		}
	}
	return nil
}

// match reports whether a list filter (empty for none) lets value through.
func match(filter, value string) bool { return filter == "" || filter == value }

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

// Issue is an issue of the fake project (https://docs.gitlab.com/api/issues/).
type Issue struct {
	IID         int64
	Title       string
	Description string
	State       string // opened or closed
	Labels      []string
}

// Issues returns a copy of the project's issues, in creation order.
func (f *Fake) Issues() []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Issue, 0, len(f.issues))
	for _, i := range f.issues {
		c := *i
		c.Labels = slices.Clone(i.Labels)
		out = append(out, c)
	}
	return out
}

func (f *Fake) issueJSON(i *Issue) map[string]any {
	labels := i.Labels
	if labels == nil {
		labels = []string{}
	}
	return map[string]any{
		"id": 5000 + i.IID, "iid": i.IID, "project_id": ProjectID, "title": i.Title, "description": i.Description,
		"state": i.State, "labels": labels, "web_url": f.WebURL + "/-/issues/" + strconv.FormatInt(i.IID, 10),
		"created_at": f.now.Format("2006-01-02T15:04:05.000Z"), "updated_at": f.now.Format("2006-01-02T15:04:05.000Z"),
	}
}

// listIssues: GET /projects/:id/issues with state (opened, closed, all) and labels (every
// one of the comma-separated labels), newest first as GitLab orders them by default.
func (f *Fake) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && state != "opened" && state != "closed" && state != "all" {
		message(w, http.StatusBadRequest, "state does not have a valid value")
		return
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	out := []any{}
	for n := len(f.issues) - 1; n >= 0; n-- {
		i := f.issues[n]
		if state != "" && state != "all" && i.State != state {
			continue
		}
		if !containsAll(i.Labels, want) {
			continue
		}
		out = append(out, f.issueJSON(i))
	}
	page(w, r, out)
}

// issueForm reads an issue's fields from a JSON or form body.
func issueForm(r *http.Request) (map[string]string, bool) {
	out := map[string]string{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		var in map[string]any
		data, _ := io.ReadAll(r.Body)
		if json.Unmarshal(data, &in) != nil {
			return nil, false
		}
		for k, v := range in {
			switch x := v.(type) {
			case string:
				out[k] = x
			case []any:
				var s []string
				for _, e := range x {
					if es, ok := e.(string); ok {
						s = append(s, es)
					}
				}
				out[k] = strings.Join(s, ",")
			}
		}
		return out, true
	}
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	for k := range r.Form {
		out[k] = r.Form.Get(k)
	}
	return out, true
}

// createIssue: POST /projects/:id/issues (title required, description, labels).
func (f *Fake) createIssue(w http.ResponseWriter, r *http.Request) {
	in, ok := issueForm(r)
	if !ok {
		message(w, http.StatusBadRequest, "400 Bad request - malformed body")
		return
	}
	if strings.TrimSpace(in["title"]) == "" {
		testkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "title is missing"})
		return
	}
	i := &Issue{IID: int64(len(f.issues) + 1), Title: in["title"], Description: in["description"], State: "opened"}
	if l := in["labels"]; l != "" {
		i.Labels = strings.Split(l, ",")
	}
	f.issues = append(f.issues, i)
	testkit.WriteJSON(w, http.StatusCreated, f.issueJSON(i))
}

// editIssue: PUT /projects/:id/issues/:iid (description, title, state_event close|reopen).
func (f *Fake) editIssue(w http.ResponseWriter, r *http.Request) {
	iid, _ := strconv.ParseInt(r.PathValue("iid"), 10, 64)
	if iid < 1 || iid > int64(len(f.issues)) {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	in, ok := issueForm(r)
	if !ok {
		message(w, http.StatusBadRequest, "400 Bad request - malformed body")
		return
	}
	i := f.issues[iid-1]
	if v, ok := in["title"]; ok {
		i.Title = v
	}
	if v, ok := in["description"]; ok {
		i.Description = v
	}
	switch in["state_event"] {
	case "":
	case "close":
		i.State = "closed"
	case "reopen":
		i.State = "opened"
	default:
		message(w, http.StatusBadRequest, "state_event does not have a valid value")
		return
	}
	testkit.WriteJSON(w, http.StatusOK, f.issueJSON(i))
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

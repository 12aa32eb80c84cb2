package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Recorder is the request log and the failure injection of a fake of a hosted API
// (githubtest, gitlabtest): the fake records each request it serves, and answers the
// status a test injected with Fail instead of serving it. Its zero value is ready; it is
// safe for concurrent use and has its own lock, so a fake may call it with or without
// holding its own.
type Recorder struct {
	mu       sync.Mutex
	failures []failure // in the order Fail added them; a part appears once
	requests []string
}

type failure struct {
	part   string
	status int
}

// Fail makes Record return status for every request whose "METHOD /path" contains part;
// a later Fail with the same part replaces its status. Where several parts match, the one
// added last wins.
func (rec *Recorder) Fail(part string, status int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := range rec.failures {
		if rec.failures[i].part == part {
			rec.failures[i].status = status
			return
		}
	}
	rec.failures = append(rec.failures, failure{part, status})
}

// Requests returns a copy of every request recorded so far, oldest first.
func (rec *Recorder) Requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.requests...)
}

// Record logs r as "METHOD /path?query", followed by " [auth]" when auth (the name of the
// credential the request carried: a scheme or a header) is not empty, and returns the
// status Fail injected for r, or 0 when none did.
func (rec *Recorder) Record(r *http.Request, auth string) int {
	line := r.Method + " " + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	if auth != "" {
		line += " [" + auth + "]"
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = append(rec.requests, line)
	target := r.Method + " " + r.URL.Path
	for i := len(rec.failures) - 1; i >= 0; i-- {
		if strings.Contains(target, rec.failures[i].part) {
			return rec.failures[i].status
		}
	}
	return 0
}

// WriteJSON writes v as a JSON body with status, and Content-Type application/json unless
// the caller set one.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Page is the page of a list that a request's page and per_page query parameters select,
// as the offset pagination of GitHub's and GitLab's APIs reads them.
type Page struct {
	Number  int // the page, from 1
	PerPage int // items a page, 1 to 100
	Pages   int // pages in the list, at least 1 (an empty list has one empty page)
	From    int // the page's items are the list's [From:To]
	To      int
}

// PageOf reads page (default 1) and per_page (default perPage, at most 100) from r for a
// list of total items.
func PageOf(r *http.Request, total, perPage int) Page {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	if q.Get("per_page") == "" {
		per = perPage
	}
	n, per = max(n, 1), min(max(per, 1), 100)
	return Page{Number: n, PerPage: per, Pages: max((total+per-1)/per, 1),
		From: min((n-1)*per, total), To: min(n*per, total)}
}

// Items returns the page's items of the list, never nil (an empty page is the JSON []).
func (p Page) Items(list []any) []any {
	if p.From >= p.To {
		return []any{}
	}
	return list[p.From:p.To]
}

// Link returns a Link header entry for page n of r's list with the same per_page:
// <http://HOST/path?page=N&per_page=M&...>; rel="rel".
func (p Page) Link(r *http.Request, n int, rel string) string {
	u := *r.URL
	v := u.Query()
	v.Set("page", strconv.Itoa(n))
	v.Set("per_page", strconv.Itoa(p.PerPage))
	u.RawQuery = v.Encode()
	u.Scheme, u.Host = "http", r.Host
	return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
}

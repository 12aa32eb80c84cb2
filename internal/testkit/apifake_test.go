package testkit

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
)

func TestRecorderRecord(t *testing.T) {
	var rec Recorder
	for _, tc := range []struct {
		method, target, auth string
		want                 string
	}{
		{"GET", "/repos/acme/web/actions/runs?branch=master", "Bearer", "GET /repos/acme/web/actions/runs?branch=master [Bearer]"},
		{"POST", "/api/v4/projects/42/issues", "PRIVATE-TOKEN", "POST /api/v4/projects/42/issues [PRIVATE-TOKEN]"},
		{"GET", "/api/v4/projects/42/jobs/7/artifacts/a%20b.json", "", "GET /api/v4/projects/42/jobs/7/artifacts/a%20b.json"},
	} {
		if status := rec.Record(httptest.NewRequest(tc.method, tc.target, nil), tc.auth); status != 0 {
			t.Errorf("%s %s: status %d without Fail, want 0", tc.method, tc.target, status)
		}
	}
	want := []string{
		"GET /repos/acme/web/actions/runs?branch=master [Bearer]",
		"POST /api/v4/projects/42/issues [PRIVATE-TOKEN]",
		"GET /api/v4/projects/42/jobs/7/artifacts/a%20b.json",
	}
	got := rec.Requests()
	if !slices.Equal(got, want) {
		t.Fatalf("Requests() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if rec.Requests()[0] != want[0] {
		t.Error("Requests() shares its slice with the recorder")
	}
}

func TestRecorderFail(t *testing.T) {
	var rec Recorder
	rec.Fail("/actions/runs", http.StatusBadGateway)
	rec.Fail("POST /repos/acme/web/issues/1/comments", http.StatusInternalServerError)
	rec.Fail("/pulls", http.StatusForbidden)
	rec.Fail("/pulls", http.StatusNotFound) // replaces 403
	rec.Fail("/pulls/2", http.StatusTeapot) // added last: wins over /pulls
	for _, tc := range []struct {
		method, target string
		want           int
	}{
		{"GET", "/repos/acme/web/actions/runs?status=success", http.StatusBadGateway},
		{"GET", "/repos/acme/web/actions/runs/1001/jobs", http.StatusBadGateway},
		{"POST", "/repos/acme/web/issues/1/comments", http.StatusInternalServerError},
		{"GET", "/repos/acme/web/issues/1/comments", 0}, // the method is part of what matches
		{"GET", "/repos/acme/web/pulls/1", http.StatusNotFound},
		{"GET", "/repos/acme/web/pulls/2", http.StatusTeapot},
		{"GET", "/repos/acme/web/commits/abc?q=/pulls", 0}, // the query is not
	} {
		if got := rec.Record(httptest.NewRequest(tc.method, tc.target, nil), ""); got != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, got, tc.want)
		}
	}
	if n := len(rec.Requests()); n != 7 {
		t.Errorf("%d requests recorded, want 7: failed requests are recorded too", n)
	}
}

// TestRecorderConcurrent records from many goroutines while others read and inject; run
// with -race it checks the recorder's own locking.
func TestRecorderConcurrent(t *testing.T) {
	var rec Recorder
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				rec.Record(httptest.NewRequest("GET", "/r/"+strconv.Itoa(i), nil), "")
				if j%10 == 0 {
					rec.Fail("/none/"+strconv.Itoa(i), 500)
					_ = rec.Requests()
				}
			}
		}()
	}
	wg.Wait()
	if n := len(rec.Requests()); n != 400 {
		t.Errorf("%d requests recorded, want 400", n)
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusCreated, map[string]any{"id": 1001})
	if w.Code != http.StatusCreated || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != "{\"id\":1001}\n" {
		t.Errorf("WriteJSON: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	w = httptest.NewRecorder()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	WriteJSON(w, http.StatusOK, []any{})
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" || w.Body.String() != "[]\n" {
		t.Errorf("WriteJSON kept Content-Type %q, body %q", ct, w.Body.String())
	}
}

func TestPageOf(t *testing.T) {
	for _, tc := range []struct {
		query string
		total int
		want  Page
	}{
		{"", 0, Page{Number: 1, PerPage: 30, Pages: 1, From: 0, To: 0}},
		{"", 45, Page{Number: 1, PerPage: 30, Pages: 2, From: 0, To: 30}},
		{"page=2", 45, Page{Number: 2, PerPage: 30, Pages: 2, From: 30, To: 45}},
		{"page=3&per_page=10", 25, Page{Number: 3, PerPage: 10, Pages: 3, From: 20, To: 25}},
		{"page=9&per_page=10", 25, Page{Number: 9, PerPage: 10, Pages: 3, From: 25, To: 25}},
		{"per_page=500", 250, Page{Number: 1, PerPage: 100, Pages: 3, From: 0, To: 100}},
		{"page=0&per_page=0", 3, Page{Number: 1, PerPage: 1, Pages: 3, From: 0, To: 1}},
		{"page=x&per_page=y", 3, Page{Number: 1, PerPage: 1, Pages: 3, From: 0, To: 1}},
	} {
		r := httptest.NewRequest("GET", "/list?"+tc.query, nil)
		if got := PageOf(r, tc.total, 30); got != tc.want {
			t.Errorf("PageOf(%q, %d) = %+v, want %+v", tc.query, tc.total, got, tc.want)
		}
	}
}

func TestPageItemsAndLink(t *testing.T) {
	list := []any{"a", "b", "c", "d", "e"}
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/list?state=opened&page=2&per_page=2", nil)
	p := PageOf(r, len(list), 20)
	if got := p.Items(list); !slices.Equal(got, []any{"c", "d"}) {
		t.Errorf("Items = %v, want [c d]", got)
	}
	if got := PageOf(httptest.NewRequest("GET", "/list?page=4&per_page=2", nil), len(list), 20).Items(list); got == nil || len(got) != 0 {
		t.Errorf("Items past the end = %#v, want an empty, non-nil slice", got)
	}
	if got := PageOf(r, 0, 20).Items(nil); got == nil {
		t.Error("Items of a nil list is nil, want []any{} (the JSON [])")
	}
	want := `<http://127.0.0.1:8080/list?page=3&per_page=2&state=opened>; rel="next"`
	if got := p.Link(r, 3, "next"); got != want {
		t.Errorf("Link = %s, want %s", got, want)
	}
}

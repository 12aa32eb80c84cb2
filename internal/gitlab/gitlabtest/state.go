package gitlabtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// StateFake is a fake of GitLab's Terraform state API (GitLab-managed Terraform state, the
// endpoint Terraform's http backend talks to: GET/POST .../terraform/state/:name and
// POST/DELETE .../terraform/state/:name/lock), built from GitLab's documentation and
// Terraform's http backend protocol, on 127.0.0.1. It checks the job token as the basic
// auth password of user gitlab-ci-token.
type StateFake struct {
	URL      string // the API base, as CI_API_V4_URL
	JobToken string

	mu     sync.Mutex
	states map[string][]byte
	locks  map[string][]byte // state name -> lock info JSON
}

// NewStateFake starts the fake; it stops when the test ends.
func NewStateFake(t testing.TB, jobToken string) *StateFake {
	f := &StateFake{JobToken: jobToken, states: map[string][]byte{}, locks: map[string][]byte{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/api/v4"
	return f
}

// State returns the stored state of name (nil when none).
func (f *StateFake) State(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states[name]
}

// HoldLock locks name as another run would, with this lock info.
func (f *StateFake) HoldLock(name string, info map[string]string) {
	data, _ := json.Marshal(info)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locks[name] = data
}

// Locked reports whether name is locked.
func (f *StateFake) Locked(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.locks[name] != nil
}

func (f *StateFake) serve(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != "gitlab-ci-token" || pass != f.JobToken {
		http.Error(w, `{"message":"401 Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	const prefix = "/api/v4/projects/42/terraform/state/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.Error(w, `{"message":"404 Not Found"}`, http.StatusNotFound)
		return
	}
	name, lock := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, prefix), "/lock")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case lock && r.Method == http.MethodPost:
		if held := f.locks[name]; held != nil {
			w.WriteHeader(http.StatusConflict) // Terraform reads the holder from the body
			w.Write(held)
			return
		}
		f.locks[name] = body
	case lock && r.Method == http.MethodDelete:
		delete(f.locks, name)
	case r.Method == http.MethodGet:
		st := f.states[name]
		if st == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Write(st)
	case r.Method == http.MethodPost:
		f.states[name] = body
	default:
		http.Error(w, `{"message":"405 Method Not Allowed"}`, http.StatusMethodNotAllowed)
	}
}

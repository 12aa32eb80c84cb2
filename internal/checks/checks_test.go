package checks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that only moves when Sleep is called, so retries until a deadline
// take no wall-clock time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// testRunner returns a Runner on a fake clock that logs into the returned buffer.
func testRunner() (*Runner, *fakeClock, *bytes.Buffer) {
	clock := newFakeClock()
	var log bytes.Buffer
	return &Runner{Now: clock.Now, Sleep: clock.Sleep, Log: &log}, clock, &log
}

// flaky serves failures 503s, then 200 "status: ok".
func flaky(t *testing.T, failures int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if int(calls.Add(1)) <= failures {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "status: ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRunRetries(t *testing.T) {
	for _, failures := range []int{0, 1, 4} {
		t.Run(fmt.Sprint(failures), func(t *testing.T) {
			srv, _ := flaky(t, failures)
			r, _, log := testRunner()
			spec := Spec{Name: "health", Kind: "http", HTTP: &HTTP{URL: srv.URL + "/healthz", BodyContains: "ok"}}
			got := r.Run(context.Background(), []Spec{spec})[0]
			if !got.Passed || got.Attempts != failures+1 {
				t.Fatalf("got %+v, want passed after %d attempts", got, failures+1)
			}
			if got.Duration != time.Duration(failures)*DefaultInterval {
				t.Errorf("duration %v, want %v on the fake clock", got.Duration, time.Duration(failures)*DefaultInterval)
			}
			lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
			if failures == 0 && log.Len() != 0 || failures > 0 && len(lines) != failures {
				t.Fatalf("log has %d lines, want %d:\n%s", len(lines), failures, log)
			}
			if failures > 0 {
				want := "health: attempt 1: GET " + srv.URL + "/healthz: status 503, want 200"
				if lines[0] != want {
					t.Errorf("log line %q, want %q", lines[0], want)
				}
			}
		})
	}
}

func TestRunFailsUntilDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			fmt.Fprint(w, "status: degraded")
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	tests := []struct {
		name, path string
		want       string
	}{
		{"wrong status", "/status", "gave up after 5 attempts in 8s: GET " + srv.URL + "/status: status 503, want 200"},
		{"wrong body", "/body", `gave up after 5 attempts in 8s: GET ` + srv.URL + `/body: status 200, body (16 bytes) does not contain "ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, log := testRunner()
			spec := Spec{Name: "c", Kind: "http", Timeout: 10 * time.Second, Interval: 2 * time.Second,
				HTTP: &HTTP{URL: srv.URL + tt.path, BodyContains: "ok"}}
			got := r.Run(context.Background(), []Spec{spec})[0]
			// attempts at 0s, 2s, 4s, 6s and 8s; a sixth would start at the deadline.
			if got.Passed || got.Attempts != 5 || got.Message != tt.want || got.Duration != 8*time.Second {
				t.Errorf("got %+v\nwant message %q after 5 attempts in 8s", got, tt.want)
			}
			if n := strings.Count(log.String(), "\n"); n != 5 {
				t.Errorf("log has %d lines, want 5", n)
			}
		})
	}
}

func TestRunAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	r, _, _ := testRunner()
	// The attempt's own timeout is the check's remaining time, here shorter than MaxAttemptTimeout.
	spec := Spec{Name: "slow", Kind: "http", Timeout: 50 * time.Millisecond, HTTP: &HTTP{URL: srv.URL}}
	got := r.Run(context.Background(), []Spec{spec})[0]
	want := "gave up after 1 attempt in 0s: GET " + srv.URL + ": timed out"
	if got.Passed || got.Message != want {
		t.Errorf("got %+v, want message %q", got, want)
	}
}

func TestRunSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown kind", Spec{Kind: "ping"}, `unknown kind "ping" (want http, tcp, ssh, goss or immutable)`},
		{"no kind", Spec{}, `unknown kind "" (want http, tcp, ssh, goss or immutable)`},
		{"http without settings", Spec{Kind: "http"}, "kind http without http settings"},
		{"tcp without settings", Spec{Kind: "tcp"}, "kind tcp without tcp settings"},
		{"relative URL", Spec{Kind: "http", HTTP: &HTTP{URL: "/healthz"}}, `invalid URL "/healthz": want http:// or https:// and a host`},
		{"bad URL keeps no password", Spec{Kind: "http", HTTP: &HTTP{URL: "http://u:pw@h:x/"}}, `invalid URL "http://h:x/": invalid port`},
		{"bad method", Spec{Kind: "http", HTTP: &HTTP{URL: "http://h/", Method: "GE T"}}, `invalid method "GE T"`},
		{"tcp without port", Spec{Kind: "tcp", TCP: &TCP{Address: "127.0.0.1"}}, `tcp: invalid address "127.0.0.1": want host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{tt.spec})[0]
			if got.Passed || got.Attempts != 0 || !strings.HasPrefix(got.Message, tt.want) {
				t.Errorf("got %+v, want a failure before any attempt, message starting %q", got, tt.want)
			}
			if strings.Contains(got.Message, "pw") {
				t.Errorf("message %q shows the password", got.Message)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Run("between attempts", func(t *testing.T) {
		srv, _ := flaky(t, 100)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, clock, _ := testRunner()
		r.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel() // SIGINT while waiting for the next attempt
			return clock.Sleep(ctx, d)
		}
		specs := []Spec{
			{Name: "first", Kind: "http", HTTP: &HTTP{URL: srv.URL}},
			{Name: "second", Kind: "tcp", TCP: &TCP{Address: "127.0.0.1:1"}},
		}
		got := r.Run(ctx, specs)
		wantFirst := "interrupted after 1 attempt; last failure: GET " + srv.URL + ": status 503, want 200"
		if len(got) != 2 || got[0].Passed || got[0].Attempts != 1 || got[0].Message != wantFirst {
			t.Fatalf("first: got %+v, want message %q", got[0], wantFirst)
		}
		if got[1].Passed || got[1].Attempts != 0 || got[1].Message != "interrupted after 0 attempts" {
			t.Errorf("second: got %+v, want interrupted before its first attempt", got[1])
		}
	})
	t.Run("during an attempt", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-r.Context().Done()
		}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-arrived
			cancel()
		}()
		r, _, log := testRunner()
		got := r.Run(ctx, []Spec{{Name: "hang", Kind: "http", HTTP: &HTTP{URL: srv.URL}}})[0]
		if got.Passed || got.Message != "interrupted after 1 attempt" {
			t.Errorf("got %+v, want interrupted after 1 attempt", got)
		}
		if log.Len() != 0 {
			t.Errorf("the aborted attempt was logged as a failure: %q", log)
		}
	})
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name, addr string
		passed     bool
		want       string
	}{
		{"listening", ln.Addr().String(), true, "passed on attempt 1: tcp " + ln.Addr().String() + ": connected"},
		{"closed", closedAddr, false, "gave up after 3 attempts in 4s: tcp " + closedAddr + ": connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			spec := Spec{Name: "port", Kind: "tcp", Timeout: 5 * time.Second, TCP: &TCP{Address: tt.addr}}
			got := r.Run(context.Background(), []Spec{spec})[0]
			if got.Passed != tt.passed || got.Message != tt.want {
				t.Errorf("got %+v, want passed=%v message %q", got, tt.passed, tt.want)
			}
		})
	}
}

// TestRunCutShortKeepsReason: when the check's deadline cuts the last attempt short, the
// result keeps the reason the attempt before it failed for, which says more than a timeout.
func TestRunCutShortKeepsReason(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		select { // later attempts hang until the deadline cuts them
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	r := &Runner{Log: io.Discard}
	spec := Spec{Name: "c", Kind: "http", Timeout: 300 * time.Millisecond, Interval: 10 * time.Millisecond, HTTP: &HTTP{URL: srv.URL}}
	got := r.Run(context.Background(), []Spec{spec})[0]
	if got.Passed || got.Attempts != 2 || !strings.Contains(got.Message, "status 503, want 200 (the last attempt was cut short by the deadline)") {
		t.Errorf("got %+v, want the 503 of the first attempt, noting the second was cut short", got)
	}
}

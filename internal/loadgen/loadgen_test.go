package loadgen

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A server that fails a stretch of requests: the figures count them and measure the stretch.
func TestFigures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := n.Add(1); i > 10 && i <= 15 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	l := Start(srv.URL, 100, 10*time.Second)
	for n.Load() < 30 {
		time.Sleep(10 * time.Millisecond)
	}
	f := l.Stop()
	if f.Requests < 30 || f.Failed != 5 || !strings.Contains(f.FirstError, "503") {
		t.Fatalf("figures %+v", f)
	}
	// Five failures 10 ms apart: a stretch of about 40 ms, never less.
	if f.Outage < 35*time.Millisecond || f.Outage > time.Second {
		t.Errorf("outage %s", f.Outage)
	}
	if f.P50 <= 0 || f.P99 < f.P50 || f.Max < f.P99 {
		t.Errorf("latencies %+v", f)
	}
	if s := f.Share(); s <= 0 || s >= 0.2 {
		t.Errorf("share %v", s)
	}
}

func TestNoFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	l := Start(srv.URL, 50, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	f := l.Stop()
	if f.Requests == 0 || f.Failed != 0 || f.Outage != 0 || f.FirstError != "" {
		t.Fatalf("figures %+v", f)
	}
}

package strategy

import (
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
)

func TestDelta(t *testing.T) {
	a := Server{Mode: "http", Status: "UP", Requests: 100, Responses5xx: 3, ConnErrors: 1, Rtime: 9, Ttime: 30}
	for _, tc := range []struct {
		name string
		b    Server
		want Window
	}{
		{"counts", Server{Mode: "http", Status: "UP", Requests: 150, Responses5xx: 10, ConnErrors: 1, RespErrors: 2, Ttime: 40, Rtime: 3},
			Window{Requests: 50, Errors: 9, LatencyMS: 3, Up: true, Status: "UP"}},
		{"no requests: no latency", Server{Mode: "http", Status: "UP 1/2", Requests: 100, Responses5xx: 3, ConnErrors: 1, Rtime: 12},
			Window{Up: true, Status: "UP 1/2"}},
		{"tcp mode: ttime", Server{Mode: "tcp", Status: "no check", Requests: 101, Responses5xx: 3, ConnErrors: 1, Ttime: 7},
			Window{Requests: 1, LatencyMS: 7, Up: true, Status: "no check"}},
		{"restarted", Server{Mode: "http", Status: "DOWN", Requests: 20, Responses5xx: 2, Rtime: 1},
			Window{Requests: 20, Errors: 2, LatencyMS: 1, Status: "DOWN"}},
		{"failed connections only", Server{Status: "UP", Requests: 100, Responses5xx: 3, ConnErrors: 5},
			Window{Requests: 4, Errors: 4, Up: true, Status: "UP"}},
	} {
		if got := Delta(a, tc.b); got != tc.want {
			t.Errorf("%s: Delta = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestJudge(t *testing.T) {
	th := &config.Thresholds{MaxErrorRate: "0.01", MaxP99: config.Duration{Duration: 500 * time.Millisecond}, MinRequests: 10}
	for _, tc := range []struct {
		name string
		w    Window
		t    *config.Thresholds
		want string
	}{
		{"within", Window{Requests: 200, Errors: 2, LatencyMS: 40, Up: true}, th, ""},
		{"error rate", Window{Requests: 42, Errors: 12, LatencyMS: 3, Up: true}, th, "error rate 28.6% > 1% (12 of 42 requests failed)"},
		{"too few requests to judge the rate", Window{Requests: 9, Errors: 9, LatencyMS: 3, Up: true}, th, ""},
		{"latency", Window{Requests: 50, LatencyMS: 501, Up: true}, th, "latency 501 ms > max_p99 500ms"},
		{"latency without requests is stale", Window{LatencyMS: 900, Up: true}, th, ""},
		{"down", Window{Requests: 50, Status: "DOWN"}, th, "the load balancer reports the slot DOWN"},
		{"down without thresholds", Window{Status: "MAINT"}, nil, "the load balancer reports the slot MAINT"},
		{"going up is not up", Window{Status: "DOWN 1/2"}, nil, "the load balancer reports the slot DOWN 1/2"},
		{"no thresholds", Window{Requests: 10, Errors: 10, Up: true}, nil, ""},
		{"zero tolerance", Window{Requests: 1000, Errors: 1, Up: true}, &config.Thresholds{MaxErrorRate: "0"}, "error rate 0.1% > 0% (1 of 1000 requests failed)"},
		{"unset rate", Window{Requests: 10, Errors: 10, Up: true}, &config.Thresholds{MaxP99: config.Duration{Duration: time.Second}}, ""},
	} {
		if got := Judge(tc.w, tc.t); got != tc.want {
			t.Errorf("%s: Judge = %q, want %q", tc.name, got, tc.want)
		}
	}
}

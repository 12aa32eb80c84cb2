package strategy

import (
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
)

// Window is what the statistics say of one slot's server between two readings.
type Window struct {
	Requests int64 // requests the server got in the window
	Errors   int64 // of them, failed (5xx, connection and response errors)
	// LatencyMS is the server's latency figure at the window's end: HAProxy's rtime (the
	// mean response time of its last 1024 requests) in HTTP mode, ttime in TCP mode; 0 when
	// the window holds no request.
	LatencyMS int64
	Up        bool // the server was up at the window's end
	Status    string
}

// Delta returns the window from reading a to reading b. A counter that went down means the
// load balancer restarted in between: the window then counts from zero.
func Delta(a, b Server) Window {
	diff := func(x, y int64) int64 {
		if y < x {
			return y
		}
		return y - x
	}
	w := Window{Requests: diff(a.Requests, b.Requests), Errors: diff(a.Failures(), b.Failures()), Up: b.Up(), Status: b.Status}
	if w.Errors > w.Requests {
		// a failed connection may not count as a request
		w.Requests = w.Errors
	}
	if w.Requests > 0 {
		w.LatencyMS = b.Rtime
		if b.Mode == "tcp" {
			w.LatencyMS = b.Ttime
		}
	}
	return w
}

// Rate returns the window's error rate, 0 without requests.
func (w Window) Rate() float64 {
	if w.Requests == 0 {
		return 0
	}
	return float64(w.Errors) / float64(w.Requests)
}

// String is the window's figures: "42 requests, 12 failed (28.6%), latency 3 ms".
func (w Window) String() string {
	s := fmt.Sprintf("%d requests, %d failed (%s)", w.Requests, w.Errors, percent(w.Rate()))
	if w.Requests > 0 {
		s += fmt.Sprintf(", latency %d ms", w.LatencyMS)
	}
	return s
}

// Judge returns why w breaks thresholds t, or "" when it does not. A slot that is not up
// always fails; the error rate counts once the window holds t.MinRequests requests (and at
// least one); the latency figure counts when the window holds a request.
func Judge(w Window, t *config.Thresholds) string {
	if !w.Up {
		return fmt.Sprintf("the load balancer reports the slot %s", statusWord(w.Status))
	}
	if t == nil {
		return ""
	}
	if t.MaxErrorRate != "" && w.Requests > 0 && w.Requests >= int64(t.MinRequests) {
		max, _ := t.MaxErrorRate.Fraction() // validated with kiln.yaml
		if w.Rate() > max {
			return fmt.Sprintf("error rate %s > %s (%d of %d requests failed)", percent(w.Rate()), percent(max), w.Errors, w.Requests)
		}
	}
	if t.MaxP99.Duration > 0 && w.Requests > 0 && time.Duration(w.LatencyMS)*time.Millisecond > t.MaxP99.Duration {
		return fmt.Sprintf("latency %d ms > max_p99 %s", w.LatencyMS, t.MaxP99.Duration)
	}
	return ""
}

func statusWord(s string) string {
	if s == "" {
		return "without a status"
	}
	return s
}

// percent writes a share as a percentage with up to one decimal: "28.6%", "1%".
func percent(f float64) string {
	s := fmt.Sprintf("%.1f", f*100)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + "%"
}

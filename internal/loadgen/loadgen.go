// Package loadgen sends a steady HTTP load with vegeta and says what its clients saw: the
// requests, the failed ones, latency percentiles and the longest stretch of failures. The
// rollout tests and the demo's load (examples/local/load) measure promotions with it.
package loadgen

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Figures is what the clients saw.
type Figures struct {
	Requests, Failed uint64
	P50, P99, Max    time.Duration
	// Outage is the longest stretch between the first and the last of consecutive failed
	// requests (by send time), 0 when none failed.
	Outage time.Duration
	// FirstError is the first failure, "status 503" or the client's error.
	FirstError string
}

// Share is the failed share of requests.
func (f Figures) Share() float64 {
	if f.Requests == 0 {
		return 0
	}
	return float64(f.Failed) / float64(f.Requests)
}

func (f Figures) String() string {
	s := fmt.Sprintf("%d requests, %d failed (%.2f%%), p50 %s, p99 %s, max %s", f.Requests, f.Failed, 100*f.Share(),
		f.P50.Round(10*time.Microsecond), f.P99.Round(10*time.Microsecond), f.Max.Round(10*time.Microsecond))
	if f.Failed > 0 {
		s += fmt.Sprintf(", longest outage %s, first failure: %s", f.Outage.Round(time.Millisecond), f.FirstError)
	}
	return s
}

// Load is a running attack.
type Load struct {
	attacker *vegeta.Attacker
	done     chan Figures
	once     sync.Once
	figures  Figures
}

// Start sends GET url at rate requests per second, for at most limit, until Stop. A response
// outside 200..399, or none within 5 s, is a failure.
func Start(url string, rate int, limit time.Duration) *Load {
	l := &Load{attacker: vegeta.NewAttacker(vegeta.Timeout(5*time.Second), vegeta.KeepAlive(true), vegeta.MaxWorkers(uint64(max(rate, 1)))),
		done: make(chan Figures, 1)}
	results := l.attacker.Attack(vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url}),
		vegeta.Rate{Freq: rate, Per: time.Second}, limit, "kiln-load")
	go func() { l.done <- collect(results) }()
	return l
}

// collect reads results until the attack ends.
func collect(results <-chan *vegeta.Result) Figures {
	var m vegeta.Metrics
	var f Figures
	var runStart, runEnd time.Time // the current stretch of failures
	for res := range results {
		m.Add(res)
		if res.Error == "" && res.Code >= 200 && res.Code < 400 {
			runStart = time.Time{}
			continue
		}
		f.Failed++
		if f.FirstError == "" {
			f.FirstError = res.Error
			if f.FirstError == "" {
				f.FirstError = fmt.Sprintf("status %d", res.Code)
			}
		}
		if runStart.IsZero() {
			runStart = res.Timestamp
		}
		runEnd = res.Timestamp.Add(res.Latency)
		if d := runEnd.Sub(runStart); d > f.Outage {
			f.Outage = d
		}
	}
	m.Close()
	f.Requests, f.P50, f.P99, f.Max = m.Requests, m.Latencies.P50, m.Latencies.P99, m.Latencies.Max
	return f
}

// Stop ends the attack, waits for the requests in flight and returns the figures; again,
// it returns the same figures.
func (l *Load) Stop() Figures {
	l.once.Do(func() {
		l.attacker.Stop()
		l.figures = <-l.done
	})
	return l.figures
}

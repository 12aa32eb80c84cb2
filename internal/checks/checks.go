// Package checks runs the checks kiln-test makes against a deployment (an HTTP request, a TCP
// connect, a command over SSH, a goss run over SSH, the facts of an immutable server), each
// retried until its own deadline, and writes their results as a JUnit XML report that GitLab,
// Jenkins and GitHub can show.
package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// The timing of checks.
const (
	// DefaultTimeout is a check's overall deadline when its Spec gives none.
	DefaultTimeout = 2 * time.Minute
	// DefaultInterval is the pause between attempts when a Spec gives none.
	DefaultInterval = 2 * time.Second
	// MaxAttemptTimeout bounds a single HTTP or TCP attempt, and the connecting part (dial,
	// handshake, login) of an SSH or goss attempt, whose command is bounded only by the
	// check's remaining time; the check's remaining time bounds every attempt too.
	MaxAttemptTimeout = 10 * time.Second
)

// Spec describes one check: what to probe and how long to keep trying.
type Spec struct {
	Name string
	// Kind is "http", "tcp", "ssh", "goss" or "immutable"; any other kind fails the check.
	Kind      string
	HTTP      *HTTP
	TCP       *TCP
	SSH       *SSH
	Goss      *Goss
	Immutable *Immutable // see immutable.go
	// Timeout is the overall deadline of the check, retries included (default 2m).
	Timeout time.Duration
	// Interval is the pause between two attempts (default 2s).
	Interval time.Duration
}

// HTTP is an HTTP check: it passes when the response has Status (default 200) and its first
// MiB contains BodyContains (when set). The Runner's default client does not follow
// redirects: a 301 is the status the check sees.
type HTTP struct {
	URL          string
	Method       string // default GET
	Status       int    // default 200
	BodyContains string
	// Headers are sent with every request; their values never appear in messages or logs.
	Headers map[string]string
}

// TCP is a TCP check: it passes when a connection to Address (host:port) succeeds.
type TCP struct {
	Address string
}

// Result is the outcome of one check.
type Result struct {
	Name     string
	Kind     string
	Passed   bool
	Message  string // the last failure reason, or a short note on success
	Attempts int
	Duration time.Duration
	// Assertions are what the last attempt's goss run reported, one per assertion; nil for
	// other kinds and when the last attempt did not get as far as running goss.
	Assertions []Assertion
}

// Assertion is the outcome of one goss assertion: one property of one resource.
type Assertion struct {
	Name     string // resource type, id and property: "File /etc/hostname exists"
	Passed   bool
	Skipped  bool
	Message  string // goss's own summary of the assertion, possibly several lines
	Duration time.Duration
}

// Runner runs checks; every field may be left nil for the real thing.
type Runner struct {
	// HTTPClient sends the HTTP checks' requests; nil means a client that dials with Dial,
	// uses no proxy, opens a fresh connection per attempt and does not follow redirects.
	HTTPClient *http.Client
	// Dial opens the TCP checks' connections, and the default HTTP client's; nil means a
	// net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Sleep pauses between attempts and returns ctx.Err() when ctx ends first; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock the deadlines are measured with; nil means time.Now.
	Now func() time.Time
	// Log receives one line per failed attempt; nil discards them.
	Log io.Writer
}

// attemptFunc makes one attempt at a check: a short note on success, the reason on failure.
type attemptFunc func(ctx context.Context) (string, error)

// Run runs specs one after the other, each with its own deadline, and returns one Result per
// spec in order. Once ctx ends, the current check and every later one report "interrupted".
func (r *Runner) Run(ctx context.Context, specs []Spec) []Result {
	results := make([]Result, 0, len(specs))
	for _, s := range specs {
		results = append(results, r.runOne(ctx, s))
	}
	return results
}

// attempt returns the function that makes one attempt at s, or why s cannot run. A goss
// attempt stores the assertions it found in *assertions (nil when it found none).
func (r *Runner) attempt(s Spec, assertions *[]Assertion) (attemptFunc, error) {
	switch s.Kind {
	case "http":
		if s.HTTP == nil {
			return nil, errors.New("kind http without http settings")
		}
		if err := s.HTTP.validate(); err != nil {
			return nil, err
		}
		return r.httpAttempt(*s.HTTP), nil
	case "tcp":
		if s.TCP == nil {
			return nil, errors.New("kind tcp without tcp settings")
		}
		if err := s.TCP.validate(); err != nil {
			return nil, err
		}
		return r.tcpAttempt(*s.TCP), nil
	case "ssh":
		if s.SSH == nil {
			return nil, errors.New("kind ssh without ssh settings")
		}
		return r.sshAttempt(*s.SSH)
	case "goss":
		if s.Goss == nil {
			return nil, errors.New("kind goss without goss settings")
		}
		return r.gossAttempt(*s.Goss, assertions)
	case "immutable":
		if s.Immutable == nil {
			return nil, errors.New("kind immutable without immutable settings")
		}
		return r.immutableAttempt(*s.Immutable)
	default:
		return nil, fmt.Errorf("unknown kind %q (want http, tcp, ssh, goss or immutable)", s.Kind)
	}
}

func (r *Runner) now() func() time.Time {
	if r.Now != nil {
		return r.Now
	}
	return time.Now
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (r *Runner) log() io.Writer {
	if r.Log != nil {
		return r.Log
	}
	return io.Discard
}

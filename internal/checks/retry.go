package checks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// permanentError is a failure that retrying cannot fix and must not paper over, such as a
// host key that is not the pinned one: the check fails at once.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as a failure that ends the check without another attempt.
func permanent(err error) error { return &permanentError{err} }

// run is the state of one check while it is retried.
type run struct {
	res   Result
	now   func() time.Time
	start time.Time
	last  string // the last failure reason
	// cut is set when the last attempt was cut short by the check's deadline after an
	// earlier attempt had failed for a reason of its own: last keeps that reason, which
	// says more than "timed out".
	cut bool
}

// runOne retries one check until it passes, its deadline comes or ctx ends.
func (r *Runner) runOne(ctx context.Context, s Spec) Result {
	now := r.now()
	c := &run{res: Result{Name: s.Name, Kind: s.Kind}, now: now, start: now()}
	attempt, err := r.attempt(s, &c.res.Assertions)
	if err != nil {
		return c.finish(false, "%v", err)
	}
	interval := orDefault(s.Interval, DefaultInterval)
	deadline := c.start.Add(orDefault(s.Timeout, DefaultTimeout))
	for {
		if ctx.Err() != nil {
			return c.interrupted()
		}
		remaining := deadline.Sub(now())
		if remaining <= 0 {
			return c.gaveUp()
		}
		limit := attemptTimeout(s.Kind, remaining)
		actx, cancel := context.WithTimeout(ctx, limit)
		note, err := attempt(actx)
		cutShort := actx.Err() != nil && limit >= remaining
		cancel()
		c.res.Attempts++
		if err == nil {
			return c.finish(true, "passed on attempt %d: %s", c.res.Attempts, note)
		}
		if ctx.Err() != nil {
			return c.interrupted() // not the failure of the attempt it aborted
		}
		if cutShort && c.last != "" {
			c.cut = true
			fmt.Fprintf(r.log(), "%s: attempt %d: cut short by the check's deadline (%s)\n", s.Name, c.res.Attempts, err)
			return c.gaveUp()
		}
		c.last = err.Error()
		fmt.Fprintf(r.log(), "%s: attempt %d: %s\n", s.Name, c.res.Attempts, c.last)
		var perm *permanentError
		if errors.As(err, &perm) {
			return c.finish(false, "failed on attempt %d, not retried: %s", c.res.Attempts, c.last)
		}
		if !now().Add(interval).Before(deadline) {
			return c.gaveUp()
		}
		if r.sleep(ctx, interval) != nil {
			return c.interrupted()
		}
	}
}

func (c *run) finish(passed bool, format string, args ...any) Result {
	c.res.Passed = passed
	c.res.Message = fmt.Sprintf(format, args...)
	c.res.Duration = c.now().Sub(c.start)
	return c.res
}

func (c *run) interrupted() Result {
	if c.last == "" {
		return c.finish(false, "interrupted after %s", plural(c.res.Attempts, "attempt"))
	}
	return c.finish(false, "interrupted after %s; last failure: %s", plural(c.res.Attempts, "attempt"), c.last)
}

func (c *run) gaveUp() Result {
	if c.last == "" {
		c.last = "the deadline passed before the first attempt"
	}
	took := roundDuration(c.now().Sub(c.start))
	if c.cut {
		return c.finish(false, "gave up after %s in %s: %s (the last attempt was cut short by the deadline)", plural(c.res.Attempts, "attempt"), took, c.last)
	}
	return c.finish(false, "gave up after %s in %s: %s", plural(c.res.Attempts, "attempt"), took, c.last)
}

// attemptTimeout bounds one attempt of a check of kind with remaining time left: an SSH,
// goss or immutable attempt bounds its connecting part itself and lets its command (or a
// facts endpoint, which runs commands on a machine that may be slow) take as long as the
// check may.
func attemptTimeout(kind string, remaining time.Duration) time.Duration {
	if kind == "ssh" || kind == "goss" || kind == "immutable" {
		return remaining
	}
	return min(remaining, MaxAttemptTimeout)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// roundDuration drops the digits nobody reads: whole seconds from one second on.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

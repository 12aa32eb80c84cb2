package strategy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/record"
)

// waitUp waits until the load balancer reports the new slot up; it returns why not after
// UpTimeout.
func (u *run) waitUp(ctx context.Context) (string, error) {
	st := u.Stats(u.cur.StatsURL, u.cur.StatsBackend)
	deadline := u.Now().Add(UpTimeout)
	for {
		s, err := st.Slot(ctx, u.new)
		if err == nil && s.Up() {
			return "", nil
		}
		if u.Now().After(deadline) {
			if err != nil {
				return "not up after " + UpTimeout.String() + ": " + err.Error(), nil
			}
			return fmt.Sprintf("not up after %s: the load balancer reports it %s", UpTimeout, statusWord(s.Status)), nil
		}
		if err := u.Sleep(ctx, 500*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// watch holds the current weight for d while reading the new slot's statistics every
// interval; the first reading that breaks the thresholds fails gate and rolls back. It
// reports whether the gate failed.
func (u *run) watch(ctx context.Context, name, gate string, weight int, d time.Duration) (bool, error) {
	t := u.Strategy.Watch()
	ph := record.Phase{Name: name, Weight: weight, Status: record.StatusPassed}
	if d <= 0 {
		return false, nil
	}
	start := u.Now()
	why, w, err := u.observe(ctx, t, d)
	if err != nil {
		return false, err
	}
	ph.DurationMS = u.Now().Sub(start).Milliseconds()
	ph.Requests, ph.Errors, ph.LatencyMS = w.Requests, w.Errors, w.LatencyMS
	u.Log("%s (%d%%): slot %s: %s", name, weight, u.new, w)
	if why == "" {
		u.res.Rollout.Phases = append(u.res.Rollout.Phases, ph)
		return false, nil
	}
	ph.Status, ph.Message = record.StatusFailed, why
	u.res.Rollout.Phases = append(u.res.Rollout.Phases, ph)
	return true, u.rollback(ctx, gate, why, true)
}

// observe reads the new slot's statistics for d and returns why they broke t ("" if they
// did not) with the window's figures. Without a statistics URL it only waits.
func (u *run) observe(ctx context.Context, t *config.Thresholds, d time.Duration) (string, Window, error) {
	if u.cur.StatsURL == "" {
		return "", Window{Up: true}, u.Sleep(ctx, d)
	}
	interval := config.DefaultWatchInterval
	if t != nil {
		interval = t.Interval.Duration
	}
	st := u.Stats(u.cur.StatsURL, u.cur.StatsBackend)
	base, err := st.Slot(ctx, u.new)
	if err != nil {
		return "statistics unreadable at the window's start: " + err.Error(), Window{}, nil
	}
	end := u.Now().Add(d)
	var w Window
	var lastErr error
	for {
		left := end.Sub(u.Now())
		if left <= 0 {
			break
		}
		if err := u.Sleep(ctx, min(interval, left)); err != nil {
			return "", w, err
		}
		s, err := st.Slot(ctx, u.new)
		if lastErr = err; err != nil {
			if errors.Is(err, context.Canceled) {
				return "", w, err
			}
			continue // one missed reading is not a verdict; the last one must succeed
		}
		if w = Delta(base, s); Judge(w, t) != "" {
			return Judge(w, t), w, nil
		}
	}
	if lastErr != nil {
		return "statistics unreadable at the window's end: " + lastErr.Error(), w, nil
	}
	return Judge(w, t), w, nil
}

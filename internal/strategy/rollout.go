package strategy

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/record"
)

// UpTimeout is how long a new slot has to be reported up by the load balancer, once its
// checks passed, before it takes traffic.
const UpTimeout = 60 * time.Second

// Rollout moves an environment to a new image with a blue-green or canary strategy. Every
// field but Log is required.
type Rollout struct {
	Strategy config.Strategy
	Image    string // the image to promote
	// Apply applies the environment with a's variables (kiln's image variable set to image)
	// and returns its outputs afterwards; phase names the apply for the log.
	Apply func(ctx context.Context, a Assignment, image, phase string) (Outputs, error)
	// Check runs the test checks against slot, rendered with outs; it returns the first
	// failed check as "check NAME: why", or "" when all passed.
	Check func(ctx context.Context, slot string, outs Outputs) (string, error)
	// Stats reads the load balancer's statistics (its URL and backend come from Current).
	Stats func(url, backend string) Stats
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	Log   func(format string, args ...any)
}

// Result is how a rollout ended.
type Result struct {
	Promoted bool
	// Unchanged says the image already served alone: nothing was applied.
	Unchanged     bool
	Rollout       *record.Rollout
	PreviousImage string  // what the live slot ran before, "" on a first promotion
	Outputs       Outputs // the environment's outputs after the last apply
}

// Failed returns the one line a rolled back promotion exits with.
func (r *Result) Failed() string {
	ro := r.Rollout
	back := "slot " + ro.Slot + " was removed"
	if ro.PreviousSlot != "" {
		back = fmt.Sprintf("traffic is on slot %s (%s) and slot %s was removed", ro.PreviousSlot, r.PreviousImage, ro.Slot)
	}
	return fmt.Sprintf("rolled back: %s failed: %s; %s", ro.Gate, ro.Reason, back)
}

// run is the state of one rollout.
type run struct {
	*Rollout
	cur      Current
	old, new string // the slots: old serves now ("" on a first promotion), new gets the image
	oldImage string
	weighted bool // the new slot got a share of traffic
	switched bool // all traffic went to the new slot
	res      *Result
}

// Run moves the environment that cur describes to r.Image. A failed gate (a check, the
// slot not coming up, a canary step's or the drain's thresholds) rolls back and returns a
// Result that is not Promoted; an error means the sequence could not run (an apply
// failed), after an attempt to put the old slot back.
func (r *Rollout) Run(ctx context.Context, cur Current) (*Result, error) {
	u := &run{Rollout: r, cur: cur, old: cur.Live, oldImage: cur.Images[cur.Live]}
	u.new = Other(u.old)
	if u.old == "" {
		u.new = Blue
	}
	if u.oldImage == r.Image {
		return u.finishEarlier(ctx)
	}
	u.res = &Result{PreviousImage: u.oldImage,
		Rollout: &record.Rollout{Type: r.Strategy.Type, Slot: u.new, PreviousSlot: u.old}}
	if err := u.sequence(ctx); err != nil {
		return nil, u.recover(ctx, err)
	}
	return u.res, nil
}

// FirstStep returns the first apply of a rollout of image on cur: the new slot up with the
// image and no traffic, the live slot as it is; and the new slot. The slot is "" when the
// image already serves in the live slot.
func FirstStep(cur Current, image string) (Assignment, string) {
	old := cur.Live
	if old != "" && cur.Images[old] == image {
		return Assignment{}, ""
	}
	if old == "" {
		return assign(Blue, Blue, image, "", 0), Blue
	}
	return assign(old, Other(old), image, cur.Images[old], 0), Other(old)
}

// sequence brings the new slot up, checks it, shifts traffic to it and watches it; it
// stops at the first failed gate, after rolling back.
func (u *run) sequence(ctx context.Context) error {
	first, _ := FirstStep(u.cur, u.Image)
	if _, err := u.apply(ctx, "up", first, u.Image); err != nil {
		return err
	}
	if failed, err := u.checks(ctx); err != nil || failed {
		return err
	}
	if u.old == "" { // a first promotion: nothing to compare with, nothing to fall back on
		_, err := u.apply(ctx, "switch", assign(u.new, u.new, u.Image, "", 100), u.Image)
		u.res.Promoted = err == nil
		return err
	}
	for i, st := range u.Strategy.Steps {
		gate := fmt.Sprintf("canary step %d (%d%%)", i+1, st.Weight)
		u.weighted = true // also when the apply fails half-way
		if _, err := u.apply(ctx, fmt.Sprintf("step %d", i+1), assign(u.old, u.new, u.Image, u.oldImage, st.Weight), u.Image); err != nil {
			return err
		}
		if failed, err := u.watch(ctx, fmt.Sprintf("step %d", i+1), gate, st.Weight, st.Pause.Duration); err != nil || failed {
			return err
		}
	}
	u.weighted = true
	if _, err := u.apply(ctx, "switch", assign(u.new, u.new, u.Image, u.oldImage, 100), u.Image); err != nil {
		return err
	}
	u.switched = true
	if failed, err := u.watch(ctx, "drain", "health after the switch", 100, u.Strategy.Drain.Duration); err != nil || failed {
		return err
	}
	outs, err := u.apply(ctx, "scale down", assign(u.new, u.new, u.Image, "", 100), u.Image)
	u.res.Promoted, u.res.Outputs = err == nil, outs
	return err
}

// checks runs the test checks against the new slot, then waits until the load balancer
// reports it up; either failing removes the slot. It reports whether a gate failed.
func (u *run) checks(ctx context.Context) (bool, error) {
	start := u.Now()
	outs := u.res.Outputs
	cur, err := Read(outs)
	if err != nil {
		return false, err
	}
	if _, ok := cur.Slots[u.new]; !ok {
		return false, fmt.Errorf("output %s has no slot %s after the apply: the checks have nothing to run against (docs/strategies.md)", OutputSlotOutputs, u.new)
	}
	u.cur = cur
	u.Log("running the test checks against slot %s", u.new)
	failed, err := u.Check(ctx, u.new, cur.SlotOutputs(outs, u.new))
	if err != nil {
		return false, err
	}
	ph := record.Phase{Name: "checks", Status: record.StatusPassed, DurationMS: u.Now().Sub(start).Milliseconds()}
	gate := "the checks of slot " + u.new
	if failed == "" && cur.StatsURL != "" {
		if failed, err = u.waitUp(ctx); err != nil {
			return false, err
		}
		gate = "slot " + u.new + " coming up in the load balancer"
	}
	if failed == "" {
		u.res.Rollout.Phases = append(u.res.Rollout.Phases, ph)
		return false, nil
	}
	ph.Status, ph.Message = record.StatusFailed, failed
	u.res.Rollout.Phases = append(u.res.Rollout.Phases, ph)
	return true, u.rollback(ctx, gate, failed, false)
}

// apply applies a, keeping the outputs.
func (u *run) apply(ctx context.Context, phase string, a Assignment, image string) (Outputs, error) {
	u.Log("%s: %s", phase, a)
	outs, err := u.Apply(ctx, a, image, phase)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", phase, a, err)
	}
	u.res.Outputs = outs
	return outs, nil
}

// rollback puts all traffic back on the old slot (one apply, when the new one had any) and
// then removes the new slot, recording gate and why as the reason.
func (u *run) rollback(ctx context.Context, gate, why string, hadTraffic bool) error {
	u.res.Rollout.Gate, u.res.Rollout.Reason = gate, why
	u.Log("%s failed: %s: rolling back", gate, why)
	start := u.Now()
	live := u.old
	if live == "" {
		live = u.new
	}
	if err := u.back(ctx, live, hadTraffic); err != nil {
		return err
	}
	u.res.Rollout.Phases = append(u.res.Rollout.Phases, record.Phase{Name: "rollback", Status: record.StatusPassed,
		DurationMS: u.Now().Sub(start).Milliseconds()})
	return nil
}

// back gives all traffic to the old slot (one apply, when the new one had some), then
// removes the new slot in a second apply, once no new request goes to it.
func (u *run) back(ctx context.Context, live string, hadTraffic bool) error {
	if hadTraffic && u.old != "" {
		if _, err := u.apply(ctx, "rollback", assign(u.old, u.new, u.Image, u.oldImage, 0), u.oldImage); err != nil {
			return err
		}
	}
	_, err := u.apply(ctx, "remove", assign(live, u.new, "", u.oldImage, 0), u.oldImage)
	return err
}

// recover answers an error in the middle of the sequence (an apply or a check that could
// not run): before the switch, unless ctx ended, it tries once to put the old slot back
// alone, and says what it did. After the switch the new slot serves and stays.
func (u *run) recover(ctx context.Context, err error) error {
	switch {
	case u.switched:
		return fmt.Errorf("%w; slot %s (%s) serves: run kiln-promote again to finish", err, u.new, u.Image)
	case ctx.Err() != nil || u.old == "":
		return err
	}
	u.Log("error: %v: putting all traffic back on slot %s", err, u.old)
	if rerr := u.back(ctx, u.old, u.weighted); rerr != nil {
		return fmt.Errorf("%w; putting slot %s back failed too: %v", err, u.old, rerr)
	}
	return fmt.Errorf("%w; slot %s (%s) serves alone again", err, u.old, u.oldImage)
}

// finishEarlier handles an image that is already the live slot's: it applies the live slot
// alone with all traffic, which scales the other slot down when an earlier run switched
// traffic and stopped before doing so, and changes nothing otherwise (Unchanged).
func (u *run) finishEarlier(ctx context.Context) (*Result, error) {
	res := &Result{Promoted: true, Rollout: &record.Rollout{Type: u.Strategy.Type, Slot: u.old}}
	other := Other(u.old)
	res.Unchanged = u.cur.Images[other] == ""
	if !res.Unchanged {
		res.Rollout.PreviousSlot, res.PreviousImage = other, u.cur.Images[other]
		u.Log("slot %s already serves %s; scaling slot %s (%s) down", u.old, u.Image, other, res.PreviousImage)
		res.Rollout.Phases = []record.Phase{{Name: "scale down", Weight: 100, Status: record.StatusPassed}}
	}
	outs, err := u.Apply(ctx, assign(u.old, u.old, u.Image, "", 100), u.Image, "scale down")
	if err != nil {
		return nil, err
	}
	res.Outputs = outs
	return res, nil
}

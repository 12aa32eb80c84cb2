// Package lifecycle decides and carries out an image family's rotation: which images move
// from READY to DEPRECATED to OBSOLETE to DELETED, when, and why the others stay. It never
// touches the family's current image, the image kiln-rollback would return to, an image in
// use, or an image whose use could not be determined.
//
// Ages count from an image's creation, and no state is ever cut short: an image that enters
// DEPRECATED late (it was in use, or rotation did not run) still spends obsolete_after -
// deprecate_after there, and likewise for OBSOLETE. One run moves an image one state at most.
package lifecycle

import (
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/registry"
)

// Policy is kiln.yaml's lifecycle block. A zero age means that transition never happens.
type Policy struct {
	Keep           int           // the newest Keep READY images are never deprecated
	DeprecateAfter time.Duration // READY -> DEPRECATED, counted from creation
	ObsoleteAfter  time.Duration // -> OBSOLETE, counted from creation
	DeleteAfter    time.Duration // -> DELETED, counted from creation
}

// FromConfig returns the policy of kiln.yaml's lifecycle block.
func FromConfig(l *config.Lifecycle) Policy {
	return Policy{Keep: l.Keep, DeprecateAfter: l.DeprecateAfter.Duration,
		ObsoleteAfter: l.ObsoleteAfter.Duration, DeleteAfter: l.DeleteAfter.Duration}
}

// stay is how long an image must stay in state s before it moves on; ok is false when the
// policy never moves it on.
func (p Policy) stay(s registry.State) (d time.Duration, ok bool) {
	switch s {
	case registry.Ready:
		return p.DeprecateAfter, p.DeprecateAfter > 0
	case registry.Deprecated:
		return p.ObsoleteAfter - p.DeprecateAfter, p.ObsoleteAfter > 0
	case registry.Obsolete:
		return p.DeleteAfter - p.ObsoleteAfter, p.DeleteAfter > 0
	}
	return 0, false
}

// entered is when img entered its state: its creation for READY, else the recorded date,
// or, when none was recorded (a state set by hand), the date the policy gives it.
func (p Policy) entered(img registry.Image) time.Time {
	if img.State == registry.Ready {
		return img.Created
	}
	if d := img.Dates.Of(img.State); !d.IsZero() {
		return d
	}
	switch img.State {
	case registry.Deprecated:
		return img.Created.Add(p.DeprecateAfter)
	case registry.Obsolete:
		return img.Created.Add(p.ObsoleteAfter)
	}
	return img.Created
}

// Due returns when img is due to move to its next state; ok is false when it never is.
func (p Policy) Due(img registry.Image) (due time.Time, ok bool) {
	d, ok := p.stay(img.State)
	if !ok {
		return time.Time{}, false
	}
	return p.entered(img).Add(d), true
}

// Dates returns the dates img gets when it enters state at now: that date, the dates kept
// from its earlier states, and the planned dates of the states after (GCP shows them).
func (p Policy) Dates(img registry.Image, state registry.State, now time.Time) registry.Dates {
	d := img.Dates
	switch state {
	case registry.Ready:
		return registry.Dates{}
	case registry.Deprecated:
		d = registry.Dates{Deprecated: now}
		if p.ObsoleteAfter > 0 {
			d.Obsolete = now.Add(p.ObsoleteAfter - p.DeprecateAfter)
			if p.DeleteAfter > 0 {
				d.Deleted = d.Obsolete.Add(p.DeleteAfter - p.ObsoleteAfter)
			}
		}
	case registry.Obsolete:
		if d.Deprecated.IsZero() || d.Deprecated.After(now) {
			d.Deprecated = p.entered(img)
		}
		d.Obsolete, d.Deleted = now, time.Time{}
		if p.DeleteAfter > 0 {
			d.Deleted = now.Add(p.DeleteAfter - p.ObsoleteAfter)
		}
	case registry.Deleted:
		d.Deleted = now
	}
	return d
}

// String describes the policy for the report: "keep 3; deprecate after 30d, obsolete after
// 60d, delete after 90d".
func (p Policy) String() string {
	s := fmt.Sprintf("keep %d", p.Keep)
	for _, x := range []struct {
		what string
		d    time.Duration
	}{{"deprecate", p.DeprecateAfter}, {"obsolete", p.ObsoleteAfter}, {"delete", p.DeleteAfter}} {
		if x.d > 0 {
			s += fmt.Sprintf("; %s after %s", x.what, Age(x.d))
		}
	}
	return s
}

// Age writes d in days when it is a whole number of days ("30d"), else as Go does ("36h0m0s").
func Age(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

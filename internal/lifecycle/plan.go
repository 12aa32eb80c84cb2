package lifecycle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
)

// Row is one image's line of a rotation plan: a transition (To set) or the reason it stays.
type Row struct {
	Image registry.Image
	To    registry.State // the state it moves to; "" when it stays
	At    time.Time      // the transition's date; for an image that stays, when it is due (zero: never)
	Dates registry.Dates // the dates the transition writes
	Why   string
	Kept  Reason // why an image that is due stays; "" otherwise
}

// Reason says why an image stays where it is.
type Reason string

// The reasons an image stays.
const (
	KeptCurrent  Reason = "current"  // the family points to it
	KeptRollback Reason = "rollback" // kiln-rollback would return to it
	KeptInUse    Reason = "in use"
	KeptUnknown  Reason = "use unknown"
	KeptNewest   Reason = "newest"  // one of the newest Keep READY images
	KeptNotDue   Reason = "not due" // not due yet, or the policy never moves it on
	KeptDeleted  Reason = "deleted" // nothing comes after DELETED
)

// Plan decides the rotation of a family's images at now. uses may be nil: the plan then
// ignores use, and its transitions are the candidates whose use must be looked up (see
// Candidates) before the real plan is made. Rows come in the order of images.
func Plan(images []registry.Image, fam *registry.Family, p Policy, now time.Time, uses *registry.Uses) []Row {
	// A revoked image keeps no protection but the current image's and being in use: it is
	// not kiln-rollback's target nor one of the newest to keep, and it moves on, one state
	// per run, as soon as nothing runs it.
	revoked := map[string]registry.Revocation{}
	var usable []registry.Image
	for _, img := range images {
		if rv, ok := registry.Revoked(&img, now); ok {
			revoked[img.ID] = rv
		} else {
			usable = append(usable, img)
		}
	}
	newest := newestReady(usable, p.Keep)
	previous := ""
	if fam != nil {
		previous = previousUsable(fam, revoked)
	}
	rows := make([]Row, 0, len(images))
	for _, img := range images {
		r := Row{Image: img}
		due, planned := p.Due(img)
		if planned {
			r.At = due
		}
		rv, isRevoked := revoked[img.ID]
		switch {
		case img.State == registry.Deleted:
			r.Kept, r.Why = KeptDeleted, "deleted"
		case fam != nil && img.ID == fam.Current:
			r.Kept, r.Why = KeptCurrent, "current image of family "+fam.Name
		case isRevoked && uses != nil && len(uses.By[img.ID]) > 0:
			r.Kept, r.Why = KeptInUse, "in use: "+strings.Join(uses.By[img.ID], ", ")+" (revoked: it moves on once nothing runs it)"
		case isRevoked && uses != nil && len(uses.Unknown[img.ID]) > 0:
			r.Kept, r.Why = KeptUnknown, "use unknown, kept: "+strings.Join(uses.Unknown[img.ID], "; ")
		case isRevoked:
			r.To, r.At = img.State.Next(), now
			r.Dates = p.Dates(img, r.To, now)
			r.Why = "revoked " + dateOf(rv.At)
			if rv.Reason != "" {
				r.Why += ": " + rv.Reason
			}
		case img.ID == previous:
			r.Kept, r.Why = KeptRollback, "kiln-rollback's target (the previous promoted image)"
		case img.State == registry.Ready && newest[img.ID]:
			r.Kept, r.Why = KeptNewest, fmt.Sprintf("one of the %d newest READY images (lifecycle.keep)", p.Keep)
		case !planned:
			r.Kept, r.Why = KeptNotDue, "the policy never moves a "+string(img.State)+" image on"
		case now.Before(due):
			r.Kept, r.Why = KeptNotDue, "due "+dateOf(due)
		case uses != nil && len(uses.By[img.ID]) > 0:
			r.Kept, r.Why = KeptInUse, "in use: "+strings.Join(uses.By[img.ID], ", ")
		case uses != nil && len(uses.Unknown[img.ID]) > 0:
			r.Kept, r.Why = KeptUnknown, "use unknown, kept: "+strings.Join(uses.Unknown[img.ID], "; ")
		default:
			r.To, r.At = img.State.Next(), now
			r.Dates = p.Dates(img, r.To, now)
			r.Why = transitionWhy(p, img, due, now)
		}
		rows = append(rows, r)
	}
	return rows
}

// Candidates are the images a plan moves.
func Candidates(rows []Row) []registry.Image {
	var out []registry.Image
	for _, r := range rows {
		if r.To != "" {
			out = append(out, r.Image)
		}
	}
	return out
}

// Transitions are the rows of a plan that move an image.
func Transitions(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.To != "" {
			out = append(out, r)
		}
	}
	return out
}

// previousUsable is kiln-rollback's default target: the latest promoted image other than
// the current one that is not revoked.
func previousUsable(fam *registry.Family, revoked map[string]registry.Revocation) string {
	for i := len(fam.History) - 1; i >= 0; i-- {
		id := fam.History[i].ImageID
		if _, r := revoked[id]; id != fam.Current && !r {
			return id
		}
	}
	return ""
}

// newestReady returns the ids of the n newest READY images.
func newestReady(images []registry.Image, n int) map[string]bool {
	var ready []registry.Image
	for _, img := range images {
		if img.State == registry.Ready {
			ready = append(ready, img)
		}
	}
	sort.SliceStable(ready, func(i, j int) bool {
		if !ready[i].Created.Equal(ready[j].Created) {
			return ready[i].Created.After(ready[j].Created)
		}
		return ready[i].ID > ready[j].ID
	})
	out := map[string]bool{}
	for i := 0; i < n && i < len(ready); i++ {
		out[ready[i].ID] = true
	}
	return out
}

func transitionWhy(p Policy, img registry.Image, due, now time.Time) string {
	late := ""
	if now.Sub(due) >= 24*time.Hour {
		late = fmt.Sprintf(" (due %s)", dateOf(due))
	}
	switch img.State {
	case registry.Ready:
		return fmt.Sprintf("created %s, older than deprecate_after %s%s", dateOf(img.Created), Age(p.DeprecateAfter), late)
	case registry.Deprecated:
		return fmt.Sprintf("DEPRECATED since %s for obsolete_after - deprecate_after = %s%s", dateOf(p.entered(img)), Age(p.ObsoleteAfter-p.DeprecateAfter), late)
	}
	return fmt.Sprintf("OBSOLETE since %s for delete_after - obsolete_after = %s%s", dateOf(p.entered(img)), Age(p.DeleteAfter-p.ObsoleteAfter), late)
}

func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

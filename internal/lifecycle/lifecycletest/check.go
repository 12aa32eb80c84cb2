package lifecycletest

import (
	"context"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/registry"
)

// transitions remembers when each image entered each state, across rotations.
var protective = map[lifecycle.Reason]bool{
	lifecycle.KeptCurrent: true, lifecycle.KeptRollback: true, lifecycle.KeptInUse: true,
	lifecycle.KeptUnknown: true, lifecycle.KeptNewest: true,
}

// move is the part of a row that the dry run and the apply must agree on.
type move struct {
	ID    string
	To    registry.State
	At    time.Time
	Dates registry.Dates
}

func moves(rows []lifecycle.Row) []move {
	var out []move
	for _, r := range lifecycle.Transitions(rows) {
		out = append(out, move{r.Image.ID, r.To, r.At, r.Dates})
	}
	return out
}

func (tr *tracker) rotate(t testing.TB, ctx context.Context, w World, at time.Time) {
	t.Helper()
	reg := w.Registry()
	rot := lifecycle.Rotation{Registry: reg, Family: tr.family, Policy: Policy, Now: at, Uses: w.Uses()}
	dry, err := rot.Plan(ctx)
	if err != nil {
		t.Fatalf("%s: dry run: %v", day0(at), err)
	}
	fam, err := reg.Pointer(ctx, tr.family)
	if err != nil {
		t.Fatal(err)
	}
	before := states(t, ctx, reg, tr.family)
	rows, err := rot.Plan(ctx)
	if err != nil {
		t.Fatalf("%s: plan: %v", day0(at), err)
	}
	if !reflect.DeepEqual(moves(dry), moves(rows)) {
		t.Fatalf("%s: the dry run and the apply disagree:\n dry: %v\napply: %v", day0(at), moves(dry), moves(rows))
	}
	for _, r := range rows {
		tr.note(t, r, fam, at)
	}
	rep := lifecycle.Apply(ctx, reg, rows, io.Discard)
	if rep.Stopped != "" {
		t.Fatalf("%s: apply: %s", day0(at), rep.Stopped)
	}
	if len(rep.Done) != len(moves(rows)) {
		t.Fatalf("%s: applied %d of %d transitions", day0(at), len(rep.Done), len(moves(rows)))
	}
	after := states(t, ctx, reg, tr.family)
	moved := map[string]registry.State{}
	for _, m := range moves(rows) {
		moved[m.ID] = m.To
	}
	for id, s := range before {
		want := s
		if to, ok := moved[id]; ok {
			want = to
		}
		got, ok := after[id]
		if !ok {
			got = registry.Deleted // a cloud forgets a deleted image
		}
		if got != want {
			t.Fatalf("%s: %s is %s after the rotation, want %s", day0(at), id, got, want)
		}
	}
	again, err := rot.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := moves(again); len(m) != 0 {
		t.Fatalf("%s: a second rotation at the same time would move %v", day0(at), m)
	}
	tr.rotateAt[at] = true
	tr.res.Rotations++
}

// note checks one planned row against the ground truth and remembers what it did.
func (tr *tracker) note(t testing.TB, r lifecycle.Row, fam *registry.Family, at time.Time) {
	t.Helper()
	id := r.Image.ID
	if r.To == "" {
		if protective[r.Kept] && !r.At.IsZero() && !at.Before(r.At) {
			tr.blocked[id+"/"+string(r.Image.State)] = true
			switch r.Kept {
			case lifecycle.KeptInUse:
				tr.res.KeptInUse++
			case lifecycle.KeptCurrent:
				tr.res.KeptCurrent++
			case lifecycle.KeptNewest:
				tr.res.KeptNewest++
			case lifecycle.KeptRollback:
				tr.res.KeptRollback++
			}
		}
		return
	}
	switch {
	case id == fam.Current:
		t.Fatalf("%s: the rotation moves the family's current image %s", day0(at), id)
	case id == fam.Previous():
		t.Fatalf("%s: the rotation moves the rollback target %s", day0(at), id)
	case len(tr.users[id]) > 0:
		t.Fatalf("%s: the rotation moves %s, in use by %v", day0(at), id, tr.users[id])
	case r.At != at:
		t.Fatalf("%s: the transition of %s is dated %s", day0(at), id, r.At)
	}
	if tr.entered == nil {
		tr.entered = map[string]map[registry.State]time.Time{}
	}
	if tr.entered[id] == nil {
		tr.entered[id] = map[registry.State]time.Time{}
	}
	tr.entered[id][r.To] = at
	switch r.To {
	case registry.Deprecated:
		tr.res.Deprecated++
	case registry.Obsolete:
		tr.res.Obsoleted++
	case registry.Deleted:
		tr.res.Deleted++
	}
}

// checkDates checks every transition against the policy: never early, never skipping a
// state, and at most one rotation late unless a protection held the image back.
func (tr *tracker) checkDates(t testing.TB, ctx context.Context, reg registry.Registry) {
	t.Helper()
	week := 7 * day
	for _, id := range tr.order {
		e := tr.entered[id]
		prev, prevState := tr.created[id], registry.Ready
		for _, s := range []registry.State{registry.Deprecated, registry.Obsolete, registry.Deleted} {
			at, ok := e[s]
			if !ok {
				break
			}
			stay := map[registry.State]time.Duration{registry.Deprecated: Policy.DeprecateAfter,
				registry.Obsolete: Policy.ObsoleteAfter - Policy.DeprecateAfter, registry.Deleted: Policy.DeleteAfter - Policy.ObsoleteAfter}[s]
			if at.Before(prev.Add(stay)) {
				t.Fatalf("%s entered %s on %s, before %s + %s", id, s, at, prev, stay)
			}
			if !tr.blocked[id+"/"+string(prevState)] && !at.Before(prev.Add(stay+week)) {
				t.Fatalf("%s entered %s on %s, more than a rotation after it was due (%s) with nothing holding it", id, s, at, prev.Add(stay))
			}
			if !tr.rotateAt[at] {
				t.Fatalf("%s entered %s on %s, which is not a rotation's time", id, s, at)
			}
			prev, prevState = at, s
		}
		for _, s := range []registry.State{registry.Obsolete, registry.Deleted} {
			if _, ok := e[s]; ok {
				if _, had := e[map[registry.State]registry.State{registry.Obsolete: registry.Deprecated, registry.Deleted: registry.Obsolete}[s]]; !had {
					t.Fatalf("%s skipped the state before %s", id, s)
				}
			}
		}
		img, err := reg.Lookup(ctx, id)
		if err != nil {
			continue // deleted from a cloud
		}
		for s, at := range e {
			if got := img.Dates.Of(s); !got.Equal(at) {
				t.Fatalf("%s: the registry dates %s on %s, the rotation did it on %s", id, s, got, at)
			}
		}
	}
}

func states(t testing.TB, ctx context.Context, reg registry.Registry, family string) map[string]registry.State {
	t.Helper()
	images, err := reg.List(ctx, family)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]registry.State{}
	for _, img := range images {
		out[img.ID] = img.State
	}
	return out
}

func day0(t time.Time) string { return t.Format("2006-01-02 15:04") }

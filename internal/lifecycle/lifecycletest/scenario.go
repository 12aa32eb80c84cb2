// Package lifecycletest runs the same rotation scenario against any registry adapter: two
// hundred images baked over four hundred simulated days, promotions, a rollback, images in
// use by environments and by cloud resources, and a rotation every week. After each
// rotation it checks that the dry run and the apply agree, that no current, rollback-target
// or in-use image moved, and that every transition is dated as the policy says.
package lifecycletest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/registry"
)

// World is a registry under test and the means to change what it holds.
type World interface {
	// Registry is the adapter under test.
	Registry() registry.Registry
	// Bake adds the n-th image of family, created at t, and returns its id.
	Bake(t testing.TB, family string, n int, at time.Time) string
	// Use makes image id used by user (an instance, a template, an environment); Free ends it.
	Use(t testing.TB, id, user string)
	Free(t testing.TB, id, user string)
	// Uses are the uses the registry cannot see itself (Terraform states); nil for none.
	Uses() lifecycle.UsesFunc
}

// Policy is the scenario's policy: keep 3, deprecate after 30 days, obsolete after 60,
// delete after 90.
var Policy = lifecycle.Policy{Keep: 3, DeprecateAfter: 30 * day, ObsoleteAfter: 60 * day, DeleteAfter: 90 * day}

const day = 24 * time.Hour

// Start is the scenario's first day.
var Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// Result counts what the scenario did.
type Result struct {
	Images, Rotations                  int
	Deprecated, Obsoleted, Deleted     int
	KeptInUse, KeptCurrent, KeptNewest int // rows kept for that reason while due, summed over rotations
	KeptRollback                       int
}

func (r Result) String() string {
	return fmt.Sprintf("%d images, %d rotations: %d deprecated, %d obsoleted, %d deleted; kept while due: %d in use, %d current, %d rollback target, %d newest",
		r.Images, r.Rotations, r.Deprecated, r.Obsoleted, r.Deleted, r.KeptInUse, r.KeptCurrent, r.KeptRollback, r.KeptNewest)
}

// tracker is the scenario's ground truth.
type tracker struct {
	family   string
	created  map[string]time.Time
	order    []string
	users    map[string]map[string]bool // image -> users
	blocked  map[string]bool            // image whose next transition was held back by a protection
	rotateAt map[time.Time]bool
	entered  map[string]map[registry.State]time.Time // image -> state -> when the scenario moved it there
	res      Result
}

// Run plays the scenario on w with images images (200 for the full scenario) and returns
// what it did. It fails t on the first broken rule.
func Run(t testing.TB, w World, images int) Result {
	t.Helper()
	ctx := context.Background()
	reg := w.Registry()
	tr := &tracker{family: "demo-web", created: map[string]time.Time{}, users: map[string]map[string]bool{},
		blocked: map[string]bool{}, rotateAt: map[time.Time]bool{}}
	var current, dev string
	lastDay := 2*images + 60 // after the last bake, until the newest images are due
	for d := 0; d <= lastDay; d++ {
		date := Start.Add(time.Duration(d) * day)
		if d%2 == 0 && d/2 < images {
			n := d / 2
			id := w.Bake(t, tr.family, n, date.Add(9*time.Hour))
			tr.created[id] = date.Add(9 * time.Hour)
			tr.order = append(tr.order, id)
			dev = tr.move(t, w, "environment dev", dev, id)
			if n%10 == 0 {
				promote(t, ctx, reg, tr.family, id, date.Add(10*time.Hour))
				current = tr.move(t, w, "environment prod", current, id)
			}
			if n == 7 {
				tr.use(t, w, id, "legacy instance")
			}
		}
		if d == 300 && len(tr.order) > 7 {
			tr.free(t, w, tr.order[7], "legacy instance")
		}
		if d == 211 { // a rollback: prod returns to the previous promoted image
			fam, err := reg.Pointer(ctx, tr.family)
			if err != nil {
				t.Fatal(err)
			}
			if prev := fam.Previous(); prev != "" {
				promote(t, ctx, reg, tr.family, prev, date.Add(11*time.Hour))
				current = tr.move(t, w, "environment prod", current, prev)
			}
		}
		if d%7 == 3 {
			tr.rotate(t, ctx, w, date.Add(3*time.Hour))
		}
	}
	tr.checkDates(t, ctx, reg)
	tr.res.Images = len(tr.order)
	return tr.res
}

func promote(t testing.TB, ctx context.Context, reg registry.Registry, family, id string, at time.Time) {
	t.Helper()
	if _, err := reg.Point(ctx, family, id, "prod", at); err != nil {
		t.Fatalf("point %s at %s: %v", family, id, err)
	}
}

// move makes user use to instead of from, and returns to.
func (tr *tracker) move(t testing.TB, w World, user, from, to string) string {
	if from != "" && from != to {
		tr.free(t, w, from, user)
	}
	tr.use(t, w, to, user)
	return to
}

func (tr *tracker) use(t testing.TB, w World, id, user string) {
	if tr.users[id] == nil {
		tr.users[id] = map[string]bool{}
	}
	if !tr.users[id][user] {
		tr.users[id][user] = true
		w.Use(t, id, user)
	}
}

func (tr *tracker) free(t testing.TB, w World, id, user string) {
	if tr.users[id][user] {
		delete(tr.users[id], user)
		w.Free(t, id, user)
	}
}

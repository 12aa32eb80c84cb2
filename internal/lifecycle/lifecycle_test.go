package lifecycle

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
)

const day = 24 * time.Hour

var (
	policy = Policy{Keep: 1, DeprecateAfter: 30 * day, ObsoleteAfter: 60 * day, DeleteAfter: 90 * day}
	t0     = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
)

func img(id string, age time.Duration, state registry.State, dates registry.Dates) registry.Image {
	return registry.Image{ID: id, Name: id, Family: "f", State: state, Created: t0.Add(-age), Dates: dates}
}

func TestDue(t *testing.T) {
	late := t0.Add(-10 * day)
	for _, tc := range []struct {
		name string
		p    Policy
		img  registry.Image
		due  time.Time
		ok   bool
	}{
		{"ready", policy, img("a", 0, registry.Ready, registry.Dates{}), t0.Add(30 * day), true},
		{"deprecated late keeps its 30 days", policy, img("a", 100*day, registry.Deprecated, registry.Dates{Deprecated: late}), late.Add(30 * day), true},
		{"deprecated by hand, no date", policy, img("a", 40*day, registry.Deprecated, registry.Dates{}), t0.Add(-40 * day).Add(60 * day), true},
		{"obsolete", policy, img("a", 100*day, registry.Obsolete, registry.Dates{Obsolete: late}), late.Add(30 * day), true},
		{"deleted", policy, img("a", 0, registry.Deleted, registry.Dates{}), time.Time{}, false},
		{"no obsolete_after", Policy{DeprecateAfter: day}, img("a", 0, registry.Deprecated, registry.Dates{Deprecated: t0}), time.Time{}, false},
		{"no policy", Policy{}, img("a", 0, registry.Ready, registry.Dates{}), time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due, ok := tc.p.Due(tc.img)
			if ok != tc.ok || !due.Equal(tc.due) {
				t.Errorf("Due = %s, %v; want %s, %v", due, ok, tc.due, tc.ok)
			}
		})
	}
}

func TestDates(t *testing.T) {
	dep := t0.Add(-40 * day)
	for _, tc := range []struct {
		name  string
		p     Policy
		img   registry.Image
		state registry.State
		want  registry.Dates
	}{
		{"deprecate plans the rest", policy, img("a", 31*day, registry.Ready, registry.Dates{}), registry.Deprecated,
			registry.Dates{Deprecated: t0, Obsolete: t0.Add(30 * day), Deleted: t0.Add(60 * day)}},
		{"deprecate, no delete", Policy{DeprecateAfter: day, ObsoleteAfter: 2 * day}, img("a", 2*day, registry.Ready, registry.Dates{}), registry.Deprecated,
			registry.Dates{Deprecated: t0, Obsolete: t0.Add(day)}},
		{"obsolete keeps the deprecation date", policy, img("a", 80*day, registry.Deprecated, registry.Dates{Deprecated: dep, Obsolete: dep.Add(30 * day)}), registry.Obsolete,
			registry.Dates{Deprecated: dep, Obsolete: t0, Deleted: t0.Add(30 * day)}},
		{"delete", policy, img("a", 200*day, registry.Obsolete, registry.Dates{Deprecated: dep, Obsolete: dep}), registry.Deleted,
			registry.Dates{Deprecated: dep, Obsolete: dep, Deleted: t0}},
		{"ready clears", policy, img("a", 200*day, registry.Deprecated, registry.Dates{Deprecated: dep}), registry.Ready, registry.Dates{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Dates(tc.img, tc.state, t0); got != tc.want {
				t.Errorf("Dates =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	images := []registry.Image{
		img("gone", 400*day, registry.Deleted, registry.Dates{Deleted: t0.Add(-day)}),
		img("ancient", 300*day, registry.Ready, registry.Dates{}), // one step per run
		img("old-obsolete", 200*day, registry.Obsolete, registry.Dates{Obsolete: t0.Add(-31 * day)}),
		img("old-deprecated", 200*day, registry.Deprecated, registry.Dates{Deprecated: t0.Add(-29 * day)}),
		img("previous", 150*day, registry.Ready, registry.Dates{}),
		img("current", 120*day, registry.Ready, registry.Dates{}),
		img("used", 100*day, registry.Ready, registry.Dates{}),
		img("unknown", 90*day, registry.Ready, registry.Dates{}),
		img("young", 10*day, registry.Ready, registry.Dates{}),
		img("newest", 1*day, registry.Ready, registry.Dates{}),
	}
	fam := &registry.Family{Name: "f", Current: "current", History: []registry.Promotion{{ImageID: "previous"}, {ImageID: "current"}}}
	uses := &registry.Uses{}
	uses.Add("used", "instance i-1")
	uses.AddUnknown("unknown", "listing disks failed")
	rows := Plan(images, fam, policy, t0, uses)
	want := map[string]string{
		"gone":           "| deleted",
		"ancient":        "DEPRECATED | created 2025-03-07, older than deprecate_after 30d (due 2025-04-06)",
		"old-obsolete":   "DELETED | OBSOLETE since 2025-12-01 for delete_after - obsolete_after = 30d (due 2025-12-31)",
		"old-deprecated": "| due 2026-01-02",
		"previous":       "| kiln-rollback's target (the previous promoted image)",
		"current":        "| current image of family f",
		"used":           "| in use: instance i-1",
		"unknown":        "| use unknown, kept: listing disks failed",
		"young":          "| due 2026-01-21",
		"newest":         "| one of the 1 newest READY images (lifecycle.keep)",
	}
	for i, r := range rows {
		if r.Image.ID != images[i].ID {
			t.Fatalf("row %d is %s, want %s: rows keep the images' order", i, r.Image.ID, images[i].ID)
		}
		if got := strings.TrimSpace(string(r.To) + " | " + r.Why); got != want[r.Image.ID] {
			t.Errorf("%s: %q, want %q", r.Image.ID, got, want[r.Image.ID])
		}
	}
	if c := Candidates(Plan(images, fam, policy, t0, nil)); len(c) != 4 {
		t.Errorf("without uses, %d candidates, want 4 (ancient, old-obsolete, used, unknown)", len(c))
	}
	if s := Summary(rows); s != "1 to deprecate, 0 to obsolete, 1 to delete; 7 stay (1 current, 1 rollback target, 1 in use, 1 use unknown, 1 newest, 2 not due)" {
		t.Errorf("Summary = %s", s)
	}
	var b strings.Builder
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[0], "IMAGE") || strings.Contains(b.String(), "gone") ||
		!strings.Contains(lines[1], "READY -> DEPRECATED  2026-01-01") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestStateUses(t *testing.T) {
	images := []registry.Image{
		{ID: "us-east-1:ami-1", Refs: []string{"ami-1"}},
		{ID: "web-7", Refs: []string{"projects/p/global/images/web-7"}},
		{ID: "local:sha256:ab"},
		{ID: "unused"},
	}
	raw := `{"version": 4, "resources": [
	  {"mode": "managed", "type": "aws_launch_template", "name": "web", "instances": [{"attributes": {"image_id": "ami-1", "name": "x"}}]},
	  {"module": "module.app", "mode": "managed", "type": "google_compute_instance_template", "name": "t", "instances": [
	    {"index_key": 0, "attributes": {"disk": [{"source_image": "projects/p/global/images/web-7"}]}},
	    {"index_key": "b", "attributes": {"disk": [{"source_image": "projects/p/global/images/other"}]}}]},
	  {"mode": "data", "type": "terraform_remote_state", "name": "s", "instances": [{"attributes": {"outputs": {"value": {"id": "local:sha256:ab"}}}}]}],
	 "outputs": {"image": {"value": "us-east-1:ami-1"}}}`
	var u registry.Uses
	if err := StateUses("prod", []byte(raw), registry.NewMatcher(images), &u); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"us-east-1:ami-1": "environment prod: aws_launch_template.web, environment prod: output image",
		"web-7":           `environment prod: module.app.google_compute_instance_template.t[0]`,
		"local:sha256:ab": "environment prod: data.terraform_remote_state.s",
	}
	for _, img := range images {
		if got := strings.Join(u.By[img.ID], ", "); got != want[img.ID] {
			t.Errorf("%s: %q, want %q", img.ID, got, want[img.ID])
		}
	}
	if err := StateUses("dev", nil, registry.NewMatcher(images), &u); err != nil {
		t.Errorf("empty state: %v", err)
	}
	if err := StateUses("dev", []byte("{"), registry.NewMatcher(images), &u); err == nil {
		t.Error("a broken state is no error")
	}
}

// failing is a registry whose SetState fails for one image.
type failing struct {
	registry.Registry
	bad   string
	calls []string
}

func (f *failing) SetState(_ context.Context, id string, _ registry.State, _ registry.Dates) error {
	f.calls = append(f.calls, id)
	if id == f.bad {
		return errors.New("boom")
	}
	return nil
}

func TestApplyStops(t *testing.T) {
	rows := Plan([]registry.Image{img("a", 40*day, registry.Ready, registry.Dates{}), img("b", 40*day, registry.Ready, registry.Dates{}),
		img("c", 40*day, registry.Ready, registry.Dates{})}, nil, Policy{DeprecateAfter: day}, t0, &registry.Uses{})
	reg := &failing{bad: "b"}
	var out strings.Builder
	rep := Apply(context.Background(), reg, rows, &out)
	if strings.Join(reg.calls, ",") != "a,b" || len(rep.Done) != 1 || len(rep.Remaining) != 1 || rep.Failed.Image.ID != "b" {
		t.Fatalf("calls %v, report %+v", reg.calls, rep)
	}
	if rep.Error().Error() != "stopped at b (READY -> DEPRECATED): boom; 1 of 3 transitions done, 1 not attempted" || out.String() != "2026-01-01 a: READY -> DEPRECATED\n" {
		t.Fatalf("report %q, output %q", rep.Error(), out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep = Apply(ctx, &failing{}, rows, &out)
	if rep.Stopped != "stopped before a (READY -> DEPRECATED): context canceled; 0 of 3 transitions done, 3 not attempted" {
		t.Fatalf("cancelled: %q", rep.Stopped)
	}
}

// TestPlanRevoked: a revoked image loses the rollback-target and newest-kept protections and
// moves on at once, unless it is the current image or in use; one revoked only from later
// is not revoked yet.
func TestPlanRevoked(t *testing.T) {
	revoked := func(id string, at time.Time) registry.Image {
		i := img(id, 2*day, registry.Ready, registry.Dates{})
		i.Labels = registry.Revocation{At: at, By: "sec", Reason: "CVE-2026-1"}.Labels()
		return i
	}
	images := []registry.Image{
		revoked("bad-old", t0.Add(-time.Hour)),
		revoked("bad-used", t0.Add(-time.Hour)),
		revoked("bad-current", t0.Add(-time.Hour)),
		revoked("later", t0.Add(time.Hour)),
		img("good", 3*day, registry.Ready, registry.Dates{}),
	}
	fam := &registry.Family{Name: "f", Current: "bad-current", History: []registry.Promotion{
		{ImageID: "good"}, {ImageID: "bad-old"}, {ImageID: "bad-current"}}}
	uses := &registry.Uses{}
	uses.Add("bad-used", "environment dev: terraform_data.vm")
	rows := Plan(images, fam, Policy{Keep: 5, DeprecateAfter: 30 * day}, t0, uses)
	want := map[string]string{
		"bad-old":     "DEPRECATED | revoked 2026-01-01: CVE-2026-1",
		"bad-used":    "| in use: environment dev: terraform_data.vm (revoked: it moves on once nothing runs it)",
		"bad-current": "| current image of family f",
		"later":       "| one of the 5 newest READY images (lifecycle.keep)",
		"good":        "| kiln-rollback's target (the previous promoted image)",
	}
	for _, r := range rows {
		if got := strings.TrimSpace(string(r.To) + " | " + r.Why); got != want[r.Image.ID] {
			t.Errorf("%s: %q, want %q", r.Image.ID, got, want[r.Image.ID])
		}
	}
}

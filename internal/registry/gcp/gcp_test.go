package gcp_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/gcp"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
)

func open(t testing.TB, f *gcpfake.Fake) *gcp.Registry {
	t.Helper()
	reg, err := gcp.New(context.Background(), gcp.Options{Project: f.Project, Endpoint: f.Endpoint(), HTTPClient: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// world puts the scenario's uses on cloud resources: prod is a managed instance group
// running a template, dev an instance, the legacy user another instance.
type world struct {
	fake *gcpfake.Fake
	reg  *gcp.Registry
}

func (w *world) Registry() registry.Registry { return w.reg }

func (w *world) Bake(t testing.TB, family string, n int, at time.Time) string {
	name := fmt.Sprintf("%s-%03d", family, n)
	w.fake.AddImage(gcpfake.Image{Name: name, Family: family, Created: at, Labels: map[string]string{"kiln-family": family}})
	return name
}

func (w *world) Use(t testing.TB, id, user string) {
	switch user {
	case "environment prod":
		w.fake.SetTemplate("web-"+id, id)
		w.fake.SetGroup("web-prod", "web-"+id)
	default:
		w.fake.AddInstance(strings.ReplaceAll(user, " ", "-")+"-"+id, id)
	}
}

func (w *world) Free(t testing.TB, id, user string) {
	switch user {
	case "environment prod":
		w.fake.SetGroup("web-prod", "")
		w.fake.SetTemplate("web-" + id)
	default:
		w.fake.RemoveInstance(strings.ReplaceAll(user, " ", "-") + "-" + id)
	}
}

func (w *world) Uses() lifecycle.UsesFunc { return nil }

// TestScenario: the 200-image scenario against the fake, with pages of 7 items.
func TestScenario(t *testing.T) {
	f := gcpfake.New(t, "acme-images")
	f.PageSize = 7
	w := &world{fake: f, reg: open(t, f)}
	res := lifecycletest.Run(t, w, 200)
	t.Log(res)
	t.Logf("API calls: %d %v", f.Total(), f.Calls())
	if res.Deleted == 0 || res.KeptInUse == 0 {
		t.Fatalf("the scenario did not exercise every rule: %s", res)
	}
	if f.Calls()["images.list"] < 2*res.Rotations {
		t.Fatalf("images.list called %d times for %d rotations: no paging?", f.Calls()["images.list"], res.Rotations)
	}
}

func TestUses(t *testing.T) {
	f := gcpfake.New(t, "p")
	f.PageSize = 2
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		f.AddImage(gcpfake.Image{Name: n, Family: "fam", Created: time.Unix(0, 0)})
	}
	f.AddInstance("vm1", "a")
	f.AddDetachedDisk("spare", "b")
	f.SetTemplate("t1", "c")
	f.SetTemplate("t2", "d", "e")
	f.SetGroup("g1", "t2")
	reg := open(t, f)
	images, err := reg.List(context.Background(), "fam")
	if err != nil {
		t.Fatal(err)
	}
	u, err := reg.Uses(context.Background(), images)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a": "instance vm1 (disk vm1-boot)",
		"c": "instance template t1",
		"d": "instance template t2, group g1 (template t2)",
		"e": "instance template t2, group g1 (template t2)",
	}
	for _, img := range images {
		if got := strings.Join(u.By[img.ID], ", "); got != want[img.ID] {
			t.Errorf("uses of %s = %q, want %q", img.ID, got, want[img.ID])
		}
	}
	if len(u.Unknown) != 0 {
		t.Errorf("unknown uses: %v", u.Unknown)
	}

	f.SetTemplate("t3", "a")
	f.FailAt("instanceTemplates.aggregatedList", 2, 403) // the second page
	u, _ = reg.Uses(context.Background(), images)
	if why := u.Unknown["f"]; len(why) != 1 || !strings.Contains(why[0], "listing instance templates failed") || !strings.Contains(why[0], "403") {
		t.Errorf("unknown uses after a failed listing: %v", u.Unknown)
	}
}

func TestPointer(t *testing.T) {
	f := gcpfake.New(t, "p")
	for i, n := range []string{"a", "b", "c"} {
		f.AddImage(gcpfake.Image{Name: n, Family: "fam", Created: time.Unix(int64(i)*100, 0)})
	}
	reg := open(t, f)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c", "b"} {
		if _, err := reg.Point(ctx, "fam", id, "prod", at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	fam, err := reg.Pointer(ctx, "fam")
	if err != nil {
		t.Fatal(err)
	}
	if fam.Current != "b" || fam.Previous() != "c" || len(fam.History) != 3 {
		t.Fatalf("family after a, b, c, b: %+v (previous %s)", fam, fam.Previous())
	}
	if got := f.Image("b").Labels[gcp.LabelPromotedEnv]; got != "prod" {
		t.Errorf("promoted-env label %q", got)
	}
	// A promotion at an earlier clock still becomes the latest.
	if _, err := reg.Point(ctx, "fam", "c", "prod", at); err != nil {
		t.Fatal(err)
	}
	if fam, _ = reg.Pointer(ctx, "fam"); fam.Current != "c" || fam.Previous() != "b" {
		t.Fatalf("family after rollback: %+v", fam)
	}
	if _, err := reg.Lookup(ctx, "nope"); exitcode.Of(err) != exitcode.ImageNotFound {
		t.Fatalf("Lookup(nope) = %v, want exit 7", err)
	}
	f.FailAt("images.setLabels", 1, 412)
	if _, err := reg.Point(ctx, "fam", "a", "prod", at.Add(time.Hour*24)); exitcode.Of(err) != exitcode.Locked {
		t.Fatalf("Point with a changed fingerprint = %v, want exit 3", err)
	}
}

func TestStates(t *testing.T) {
	f := gcpfake.New(t, "p")
	f.AddImage(gcpfake.Image{Name: "a", Family: "fam", Created: time.Unix(0, 0)})
	reg := open(t, f)
	ctx := context.Background()
	d := registry.Dates{Deprecated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Obsolete: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	if err := reg.SetState(ctx, "a", registry.Deprecated, d); err != nil {
		t.Fatal(err)
	}
	st := f.Image("a").Deprecated
	if st == nil || st.State != "DEPRECATED" || st.Deprecated != "2026-01-01T00:00:00Z" || st.Obsolete != "2026-02-01T00:00:00Z" || st.Deleted != "" {
		t.Fatalf("deprecation status %+v", st)
	}
	img, err := reg.Lookup(ctx, "projects/p/global/images/a")
	if err != nil || img.State != registry.Deprecated || !img.Dates.Obsolete.Equal(d.Obsolete) {
		t.Fatalf("Lookup = %+v, %v", img, err)
	}
	if err := reg.SetState(ctx, "a", registry.Ready, registry.Dates{}); err != nil || f.Image("a").Deprecated != nil {
		t.Fatalf("un-deprecate: %v, %+v", err, f.Image("a").Deprecated)
	}
	if err := reg.Delete(ctx, "a", time.Time{}); err != nil || f.Image("a") != nil {
		t.Fatalf("delete: %v", err)
	}
}

// TestErrorMidRun: an API error in the middle of an apply stops it there; nothing after
// it is touched and the report names the image and what is left.
func TestErrorMidRun(t *testing.T) {
	f := gcpfake.New(t, "p")
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 12; i++ {
		f.AddImage(gcpfake.Image{Name: fmt.Sprintf("img-%02d", i), Family: "fam", Created: start.Add(time.Duration(i) * time.Hour)})
	}
	for i := 0; i < 4; i++ { // four old images already OBSOLETE: due for deletion
		f.AddImage(gcpfake.Image{Name: fmt.Sprintf("old-%d", i), Family: "fam", Created: start.AddDate(-1, 0, 0),
			Deprecated: &gcpfake.Deprecation{State: "OBSOLETE", Obsolete: "2025-06-01T00:00:00Z"}})
	}
	reg := open(t, f)
	ctx := context.Background()
	rot := lifecycle.Rotation{Registry: reg, Family: "fam", Policy: lifecycletest.Policy, Now: start.AddDate(0, 3, 0)}
	rows, err := rot.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	moves := lifecycle.Transitions(rows)
	if len(moves) != 13 { // 9 to deprecate (3 newest kept), 4 to delete
		t.Fatalf("%d transitions planned:\n%v", len(moves), moves)
	}
	f.FailAt("images.delete", 2, 500)
	var out strings.Builder
	rep := lifecycle.Apply(ctx, reg, rows, &out)
	if rep.Failed == nil || rep.Failed.Image.ID != "old-1" {
		t.Fatalf("report: %+v", rep)
	}
	want := "stopped at old-1 (OBSOLETE -> DELETED): delete image old-1: 500 injected failure of images.delete call 2; 1 of 13 transitions done, 11 not attempted"
	if rep.Stopped != want {
		t.Fatalf("report line\n got: %s\nwant: %s", rep.Stopped, want)
	}
	for _, n := range []string{"old-1", "old-2", "old-3"} {
		if img := f.Image(n); img == nil || img.Deprecated.State != "OBSOLETE" {
			t.Fatalf("%s was touched after the failure: %+v", n, img)
		}
	}
	for i := 0; i < 12; i++ {
		if img := f.Image(fmt.Sprintf("img-%02d", i)); img.Deprecated != nil {
			t.Fatalf("img-%02d was touched after the failure", i)
		}
	}
	if f.Image("old-0") != nil || out.String() != "2026-04-01 old-0: OBSOLETE -> DELETED\n" {
		t.Fatalf("the transition before the failure: %q", out.String())
	}
	_ = io.Discard
}

package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// world is the local registry with uses held in memory, as Terraform states would hold them.
type world struct {
	reg   *local.Registry
	now   time.Time
	src   string
	users map[string]map[string]bool
}

func newWorld(t testing.TB) *world {
	w := &world{src: t.TempDir(), users: map[string]map[string]bool{}}
	w.reg = &local.Registry{Dir: filepath.Join(t.TempDir(), "images"), Now: func() time.Time { return w.now }}
	return w
}

func (w *world) Registry() registry.Registry { return w.reg }

func (w *world) Bake(t testing.TB, family string, n int, at time.Time) string {
	w.now = at
	name := fmt.Sprintf("%s-%03d", family, n)
	p := filepath.Join(w.src, name+".img")
	if err := os.WriteFile(p, []byte("image "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := w.reg.Import([]string{p}, name, family, map[string]string{"kiln-family": family})
	if err != nil {
		t.Fatal(err)
	}
	return img.ID
}

func (w *world) Use(t testing.TB, id, user string) {
	if w.users[id] == nil {
		w.users[id] = map[string]bool{}
	}
	w.users[id][user] = true
}

func (w *world) Free(t testing.TB, id, user string) { delete(w.users[id], user) }

func (w *world) Uses() lifecycle.UsesFunc {
	return func(_ context.Context, candidates []registry.Image) registry.Uses {
		var u registry.Uses
		for _, img := range candidates {
			for user := range w.users[img.ID] {
				u.Add(img.ID, user)
			}
		}
		return u
	}
}

// TestScenario: 200 images over 420 simulated days, rotated weekly.
func TestScenario(t *testing.T) {
	w := newWorld(t)
	res := lifecycletest.Run(t, w, 200)
	t.Log(res)
	if res.Deprecated == 0 || res.Obsoleted == 0 || res.Deleted == 0 || res.KeptInUse == 0 || res.KeptCurrent == 0 {
		t.Fatalf("the scenario did not exercise every rule: %s", res)
	}
	// A deleted image keeps its metadata without its files.
	images, _ := w.reg.List(context.Background(), "demo-web")
	for _, img := range images {
		if img.State != registry.Deleted {
			continue
		}
		li, err := w.reg.Get(img.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(w.reg.Path(li)); !os.IsNotExist(err) {
			t.Fatalf("deleted image %s still has its file: %v", img.ID, err)
		}
		if err := w.reg.Verify(li); exitcode.Of(err) != exitcode.ImageNotFound {
			t.Fatalf("Verify(deleted) = %v, want exit 7", err)
		}
		return
	}
	t.Fatal("no image was deleted")
}

func TestLifecycleMethods(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := w.Bake(t, "fam", 1, w.now)
	b := w.Bake(t, "fam", 2, w.now.Add(time.Hour))
	w.Bake(t, "other", 3, w.now)
	if err := os.MkdirAll(filepath.Join(w.reg.Dir, "images", ".import-123"), 0o755); err != nil {
		t.Fatal(err)
	}
	images, err := w.reg.List(ctx, "fam")
	if err != nil || len(images) != 2 || images[0].ID != a || images[1].ID != b {
		t.Fatalf("List = %v, %v", images, err)
	}

	// Two moves of the pointer: one history.
	if _, err := w.reg.Point(ctx, "fam", a, "prod", w.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if prev, err := w.reg.Point(ctx, "fam", b, "prod", w.now.Add(2*time.Hour)); err != nil || prev != a {
		t.Fatalf("Point = %s, %v", prev, err)
	}
	fam, _ := w.reg.Pointer(ctx, "fam")
	if fam.Current != b || fam.Previous() != a || len(fam.History) != 2 {
		t.Fatalf("family %+v", fam)
	}

	if err := w.reg.Label(ctx, a, map[string]string{"kiln-pipeline": "p-1"}); err != nil {
		t.Fatal(err)
	}
	d := registry.Dates{Deprecated: w.now, Obsolete: w.now.AddDate(0, 1, 0)}
	if err := w.reg.SetState(ctx, a, registry.Deprecated, d); err != nil {
		t.Fatal(err)
	}
	got, _ := w.reg.Lookup(ctx, a)
	if got.State != registry.Deprecated || got.Dates != d || got.Labels["kiln-pipeline"] != "p-1" || got.Labels["kiln-family"] != "fam" {
		t.Fatalf("after label and deprecate: %+v", got)
	}
	if err := w.reg.Delete(ctx, a, w.now.AddDate(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	if err := w.reg.SetState(ctx, a, registry.Ready, registry.Dates{}); exitcode.Of(err) != exitcode.ImageNotFound {
		t.Fatalf("SetState(deleted) = %v, want exit 7", err)
	}
	if err := w.reg.SetState(ctx, b, registry.Deleted, registry.Dates{}); err == nil {
		t.Fatal("SetState(DELETED) is no error: deletion goes through Delete")
	}

	// The same content baked again after deletion is a new READY image under the same id.
	w.now = w.now.AddDate(1, 0, 0)
	again := w.Bake(t, "fam", 1, w.now)
	li, err := w.reg.Get(again)
	if again != a || err != nil || li.State != "READY" || !li.CreatedAt.Equal(w.now) || li.Dates != (registry.Dates{}) || w.reg.Verify(li) != nil {
		t.Fatalf("re-imported image %+v, %v", li, err)
	}

	unlock, err := w.reg.Lock(ctx, "fam")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.reg.Lock(ctx, "fam"); exitcode.Of(err) != exitcode.Locked {
		t.Fatalf("second Lock = %v, want exit 3", err)
	}
	unlock()
}

// TestConcurrentUpdates: a label (a revocation) and a state change racing on one image are
// both kept.
func TestConcurrentUpdates(t *testing.T) {
	r := &local.Registry{Dir: t.TempDir(), Now: time.Now}
	var ids []string
	for i := 0; i < 20; i++ {
		p := filepath.Join(t.TempDir(), "disk.img")
		if err := os.WriteFile(p, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := r.Import([]string{p}, "img", "f", nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, img.ID)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(2)
		go func() { defer wg.Done(); _ = r.Label(ctx, id, map[string]string{"kiln-revoked-at": "1"}) }()
		go func() {
			defer wg.Done()
			_ = r.SetState(ctx, id, registry.Deprecated, registry.Dates{Deprecated: time.Now()})
		}()
	}
	wg.Wait()
	for _, id := range ids {
		img, err := r.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if img.Labels["kiln-revoked-at"] != "1" || img.State != "DEPRECATED" {
			t.Fatalf("image %s lost an update: labels %v, state %s", id, img.Labels, img.State)
		}
	}
}

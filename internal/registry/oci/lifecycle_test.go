package oci_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/registry/oci/ocitest"
)

// world is an OCI repository of a real registry, with uses held in memory as Terraform
// states would hold them (the OCI registry runs nothing itself).
type world struct {
	reg   *oci.Registry
	now   time.Time
	src   string
	users map[string]map[string]bool
}

func newWorld(t testing.TB, s *ocitest.Server) *world {
	w := &world{src: t.TempDir(), users: map[string]map[string]bool{}}
	w.reg = open(t, s, "kiln", func() time.Time { return w.now }, nil)
	return w
}

// newSoloWorld is newWorld for a scenario with a single writer: a change checks again
// after 1 ms (at least twice its push's time) instead of DefaultSettle.
func newSoloWorld(t testing.TB, s *ocitest.Server) *world {
	w := &world{src: t.TempDir(), users: map[string]map[string]bool{}}
	r, err := oci.New(oci.Options{Repository: s.Repository("kiln"), PlainHTTP: true, Now: func() time.Time { return w.now },
		CacheDir: filepath.Join(t.TempDir(), "cache"), Settle: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.reg = r
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
	img, err := w.reg.Push(context.Background(), []string{p}, name, family, map[string]string{"kiln-family": family})
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

// TestScenario runs the lifecycle contract suite every registry adapter passes: 200 images
// over 460 simulated days, rotated weekly, against a real registry.
func TestScenario(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	w := newSoloWorld(t, s)
	start := time.Now()
	res := lifecycletest.Run(t, w, 200)
	t.Logf("%s (in %s)", res, time.Since(start).Round(time.Millisecond))
	if res.Deprecated == 0 || res.Obsoleted == 0 || res.Deleted == 0 || res.KeptInUse == 0 || res.KeptCurrent == 0 {
		t.Fatalf("the scenario did not exercise every rule: %s", res)
	}
	// A deleted image leaves a tombstone, and its manifest is gone.
	ctx := context.Background()
	images, _ := w.reg.List(ctx, "demo-web")
	deleted := 0
	for _, img := range images {
		if img.State != registry.Deleted {
			continue
		}
		deleted++
		_, d, _ := oci.ParseID(img.ID)
		if code := status(t, s, "kiln", "manifests/"+d.String()); code != http.StatusNotFound {
			t.Fatalf("deleted image %s: its manifest answers %d", img.ID, code)
		}
		if _, err := w.reg.Pull(ctx, img.ID); exitcode.Of(err) != exitcode.ImageNotFound {
			t.Fatalf("Pull(deleted) = %v, want exit 7", err)
		}
	}
	if deleted != res.Deleted {
		t.Fatalf("%d tombstones for %d deletions", deleted, res.Deleted)
	}
}

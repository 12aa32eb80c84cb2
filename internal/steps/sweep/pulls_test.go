package sweep

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
)

// TestStalePulls: a staging directory in the OCI cache is stale when it is older than an
// hour and the kiln process its name records no longer runs (a name with no process: age
// alone); the finding removes it, read-only files and all.
func TestStalePulls(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old, fresh := now.Add(-2*time.Hour), now.Add(-10*time.Minute)
	dead := "4194305.77" // above any pid_max: never a running process
	live := owner.ProcessID(os.Getpid())
	cache := t.TempDir()
	images := filepath.Join(cache, "images")
	for _, tc := range []struct {
		name  string
		dir   bool
		mtime time.Time
	}{
		{".pull-" + dead + "-111", true, old},   // stale: old, its run is gone
		{".pull-" + live + "-222", true, old},   // a live pull: kept however old
		{".pull-" + dead + "-333", true, fresh}, // too recent
		{".pull-444", true, old},                // an older name without its run: age decides
		{".pull-555", true, fresh},              // the same, recent
		{".pull-file", false, old},              // not a directory
		{strings.Repeat("ab", 32), true, old},   // an installed image
		{".import-" + dead + "-666", true, old}, // not the cache's
	} {
		p := filepath.Join(images, tc.name)
		if tc.dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(p, "disk.qcow2"), []byte("x"), 0o444); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, tc.mtime, tc.mtime); err != nil {
			t.Fatal(err)
		}
	}
	s := &sweeper{now: now}
	s.stalePulls(cache, owner.Alive)
	var got []string
	for _, f := range s.found {
		if f.kind != "pull" || f.remove == nil {
			t.Errorf("finding %+v: want a removable pull", f)
		}
		got = append(got, filepath.Base(f.what))
	}
	sort.Strings(got)
	want := []string{".pull-" + dead + "-111", ".pull-444"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("stale pulls = %v, want %v", got, want)
	}
	if why := s.found[0].why; !strings.Contains(why, "2026-11-30T10:00:00Z") || !strings.Contains(why, dead+", which no longer runs") {
		t.Errorf("why = %q", why)
	}
	for _, f := range s.found {
		if err := f.remove(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(f.what); !os.IsNotExist(err) {
			t.Errorf("%s still there after remove: %v", f.what, err)
		}
	}
	for _, kept := range []string{".pull-" + live + "-222", ".pull-" + dead + "-333", ".pull-555", strings.Repeat("ab", 32)} {
		if _, err := os.Stat(filepath.Join(images, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
}

// TestStalePullsNoCache: a machine that never pulled has nothing to sweep, and no error.
func TestStalePullsNoCache(t *testing.T) {
	s := &sweeper{now: time.Now()}
	s.stalePulls(filepath.Join(t.TempDir(), "none"), owner.Alive)
	if len(s.found) != 0 || s.errors != 0 {
		t.Errorf("found %+v, errors %d", s.found, s.errors)
	}
}

package oci

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-ci/kiln/internal/owner"
)

// TestStagingDirs: a pull's staging directory carries the pulling process's id, which
// StagingDirs reads back; it lists nothing else of the cache.
func TestStagingDirs(t *testing.T) {
	cache := t.TempDir()
	images := filepath.Join(cache, "images")
	if err := os.MkdirAll(filepath.Join(images, "0123abcd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(images, ".pull-98765"), 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := newStaging(images)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := StagingDirs(cache)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, d := range dirs {
		owners[d.Path] = d.Owner
	}
	if len(dirs) != 2 || owners[st] != owner.ProcessID(os.Getpid()) || owners[filepath.Join(images, ".pull-98765")] != "" {
		t.Fatalf("StagingDirs = %+v (made %s)", dirs, st)
	}
	if !owner.Alive(owners[st]) {
		t.Errorf("owner %q of a live pull is not alive", owners[st])
	}
	if err := os.WriteFile(filepath.Join(st, "disk.qcow2"), []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStaging(st); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := StagingDirs(cache); len(dirs) != 1 {
		t.Errorf("after RemoveStaging: %+v", dirs)
	}
}

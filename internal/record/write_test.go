package record

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// existing writes a valid record to dir/kiln-image.json and returns its path and content.
func existing(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiln-image.json")
	if err := Write(path, minimal()); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, old
}

// intact checks that path still holds old and that nothing else is in its directory.
func intact(t *testing.T, path string, old []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, old) {
		t.Errorf("the old file changed (err %v):\n%s", err, got)
	}
	if n := names(t, filepath.Dir(path)); !slices.Equal(n, []string{filepath.Base(path)}) {
		t.Errorf("directory holds %v, want only %s", n, filepath.Base(path))
	}
}

func TestWrite(t *testing.T) {
	path, _ := existing(t)
	r := sample()
	if err := Write(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustEncode(t, sample()); !bytes.Equal(got, want) {
		t.Errorf("file content differs from Encode:\n%s", got)
	}
	if r.Digest == "" {
		t.Error("Write did not set the record's digest")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	intact(t, path, got)
}

func TestWriteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := Write("kiln-image.json", minimal()); err != nil {
		t.Fatal(err)
	}
	if _, err := Read("kiln-image.json"); err != nil {
		t.Fatal(err)
	}
	if n := names(t, "."); !slices.Equal(n, []string{"kiln-image.json"}) {
		t.Errorf("directory holds %v", n)
	}
}

func TestWriteFailures(t *testing.T) {
	t.Run("encode fails", func(t *testing.T) {
		path, old := existing(t)
		r := sample()
		r.Image.ID = ""
		err := Write(path, r)
		if err == nil || err.Error() != "write "+path+": invalid record: image.id is empty" {
			t.Errorf("Write = %v", err)
		}
		intact(t, path, old)
	})
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions; the rename-fails case covers the cleanup")
		}
		path, old := existing(t)
		dir := filepath.Dir(path)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		err := Write(path, sample())
		if err == nil || !strings.Contains(err.Error(), "create temporary file: permission denied") {
			t.Errorf("Write = %v", err)
		}
		intact(t, path, old)
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		err := Write(filepath.Join(dir, "no", "kiln-image.json"), sample())
		if err == nil || !strings.Contains(err.Error(), "create temporary file: no such file or directory") {
			t.Errorf("Write = %v", err)
		}
		if n := names(t, dir); len(n) != 0 {
			t.Errorf("directory holds %v", n)
		}
	})
}

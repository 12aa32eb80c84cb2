package packer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRemoveCrashLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.log")
	var log bytes.Buffer

	// Written during the run: removed, and said so.
	done := removeCrashLog(dir, &log)
	os.WriteFile(path, []byte("secret"), 0o644)
	done()
	if _, err := os.Stat(path); !os.IsNotExist(err) || !bytes.Contains(log.Bytes(), []byte("crash.log")) {
		t.Fatalf("crash.log kept (%v), log %q", err, log.String())
	}

	// There before and untouched: kept.
	os.WriteFile(path, []byte("old"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	removeCrashLog(dir, &log)()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("an older crash.log was removed: %v", err)
	}
}

// Package atomicfile replaces files atomically: readers see the old file or the new one,
// never a part, and a failure leaves the old file as it was and no temporary file behind.
// The record, kiln.env, the local registry's metadata, the JUnit report and the plan report
// are all written through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// rename is os.Rename; tests replace it to make the last step fail.
var rename = os.Rename

// Write writes data to a temporary file in path's directory with mode perm, syncs it and
// renames it over path, then syncs the directory (best effort). Errors start with
// "write <path>: " and name the step that failed.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: create temporary file: %w", path, bare(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the write error is the one to report
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, bare(err))
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if err = rename(tmp, path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("write %s: rename temporary file: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable. It is best effort: the new file is already in place,
// and some file systems cannot sync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// bare strips the path from an *fs.PathError: messages name the file once.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

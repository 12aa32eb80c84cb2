package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write encodes r (setting its Digest) and replaces the file at path atomically: readers see
// the old file or the new one, never a part. On any failure the old file is left as it was
// and no temporary file is left behind.
func Write(path string, r *Record) error {
	data, err := r.Encode()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeFileAtomic(path, data)
}

// renameFile is os.Rename; tests replace it to make the last step fail.
var renameFile = os.Rename

// writeFileAtomic writes data to a temporary file in path's directory (mode 0644), syncs
// it and renames it over path. The temporary file is removed on any failure.
func writeFileAtomic(path string, data []byte) (err error) {
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
	if err = f.Chmod(0o644); err != nil {
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
	if err = renameFile(tmp, path); err != nil {
		return fmt.Errorf("write %s: rename temporary file: %w", path, linkErr(err))
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

// linkErr strips the paths from an *os.LinkError, as bare does for *fs.PathError.
func linkErr(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

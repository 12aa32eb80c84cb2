package local

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Import copies files (hard-linking where it can) into the registry under their
// content-addressed id and writes the metadata; importing the same content again returns the
// image already there. The image becomes READY; no family pointer moves.
func (r *Registry) Import(paths []string, name, family string, labels map[string]string) (*Image, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("import %s: no files", name)
	}
	files := make([]File, 0, len(paths))
	seen := map[string]bool{}
	for _, p := range paths {
		sum, size, err := HashFile(p)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", name, err)
		}
		base := filepath.Base(p)
		if seen[base] || base == "image.json" {
			return nil, fmt.Errorf("import %s: two files named %s", name, base)
		}
		seen[base] = true
		files = append(files, File{Name: base, SHA256: sum, Size: size})
	}
	id := Digest(files)
	k, _ := key(id)
	if img, err := r.Get(id); err == nil && !isTombstone(img) {
		return img, nil
	} else if err == nil {
		// The same content baked again after it was deleted: the tombstone makes way.
		if err := os.RemoveAll(r.imageDir(k)); err != nil {
			return nil, fmt.Errorf("import %s: %w", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "images"), 0o755); err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	staging, err := os.MkdirTemp(filepath.Join(r.Dir, "images"), ".import-*")
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	defer os.RemoveAll(staging)
	for i, p := range paths {
		if err := linkOrCopy(p, filepath.Join(staging, files[i].Name)); err != nil {
			return nil, fmt.Errorf("import %s: %w", name, err)
		}
	}
	img := &Image{ID: id, Name: name, Family: family, Files: files, CreatedAt: r.Now().UTC(), State: "READY", Labels: labels}
	if err := writeJSON(filepath.Join(staging, "image.json"), img); err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if err := os.Rename(staging, r.imageDir(k)); err != nil {
		if existing, gerr := r.Get(id); gerr == nil && !isTombstone(existing) { // imported concurrently
			return existing, nil
		}
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	return img, nil
}

// linkOrCopy hard-links src to dst, or copies it across file systems; dst ends read-only.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return os.Chmod(dst, 0o444)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o444)
}

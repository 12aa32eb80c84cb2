package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

var _ registry.Registry = (*Registry)(nil)

// Type is "local".
func (r *Registry) Type() string { return "local" }

// List returns every image of family, tombstones of DELETED images included, oldest first.
func (r *Registry) List(_ context.Context, family string) ([]registry.Image, error) {
	entries, err := os.ReadDir(filepath.Join(r.Dir, "images"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", family, err)
	}
	var out []registry.Image
	for _, e := range entries {
		if !e.IsDir() || !hexID.MatchString(e.Name()) {
			continue // staging directories of imports in progress
		}
		img, err := r.Get(IDPrefix + e.Name())
		if err != nil {
			return nil, fmt.Errorf("list images of %s: %w", family, err)
		}
		if img.Family == family {
			out = append(out, img.Generic())
		}
	}
	registry.SortByCreated(out)
	return out, nil
}

// Generic returns the image as registry.Image.
func (img *Image) Generic() registry.Image {
	return registry.Image{ID: img.ID, Name: img.Name, Family: img.Family, State: registry.State(img.State),
		Created: img.CreatedAt, Dates: img.Dates, Labels: img.Labels}
}

// Lookup returns image id (registry.Registry); a tombstone is returned as DELETED.
func (r *Registry) Lookup(_ context.Context, id string) (*registry.Image, error) {
	img, err := r.Get(id)
	if err != nil {
		return nil, err
	}
	g := img.Generic()
	return &g, nil
}

// SetState moves image id to READY, DEPRECATED or OBSOLETE with dates (registry.Registry).
func (r *Registry) SetState(_ context.Context, id string, state registry.State, dates registry.Dates) error {
	if state == registry.Deleted || state.Rank() < 0 {
		return fmt.Errorf("set state of %s: %q is not READY, DEPRECATED or OBSOLETE", id, state)
	}
	return r.update(id, func(img *Image) error {
		if img.State == string(registry.Deleted) {
			return exitcode.New(exitcode.ImageNotFound, "set state of %s: the image was deleted on %s", id, day(img.Dates.Deleted))
		}
		img.State, img.Dates = string(state), dates
		return nil
	})
}

// Delete removes the image's files and keeps its metadata as a DELETED tombstone
// (registry.Registry). The metadata is written first: a crash in between leaves a DELETED
// image whose files a second Delete removes.
func (r *Registry) Delete(_ context.Context, id string, at time.Time) error {
	var files []File
	err := r.update(id, func(img *Image) error {
		img.State = string(registry.Deleted)
		img.Dates.Deleted = at.UTC()
		files = img.Files
		return nil
	})
	if err != nil {
		return err
	}
	k, _ := key(id)
	for _, f := range files {
		if err := os.Remove(filepath.Join(r.imageDir(k), f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete image %s: %w", id, err)
		}
	}
	return nil
}

// Label adds labels to image id's metadata (registry.Registry).
func (r *Registry) Label(_ context.Context, id string, labels map[string]string) error {
	return r.update(id, func(img *Image) error {
		if img.Labels == nil {
			img.Labels = map[string]string{}
		}
		for k, v := range labels {
			img.Labels[k] = v
		}
		return nil
	})
}

// Uses reports no use: nothing but Terraform runs local images, and the caller reads the
// environments' Terraform states (registry.Registry).
func (r *Registry) Uses(context.Context, []registry.Image) (registry.Uses, error) {
	return registry.Uses{}, nil
}

// update rewrites image id's metadata atomically after change.
func (r *Registry) update(id string, change func(*Image) error) error {
	// One change at a time per image: a revocation racing a rotation must not be lost.
	unlock, err := r.lockImage(id)
	if err != nil {
		return err
	}
	defer unlock()
	img, err := r.Get(id)
	if err != nil {
		return err
	}
	if err := change(img); err != nil {
		return err
	}
	k, _ := key(id)
	if err := writeJSON(filepath.Join(r.imageDir(k), "image.json"), img); err != nil {
		return fmt.Errorf("update image %s: %w", id, err)
	}
	return nil
}

// deletedError is the exit-7 error for using a DELETED image's files.
func deletedError(img *Image) error {
	return exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("image %s was deleted on %s (its metadata remains in the registry): %w",
		img.ID, day(img.Dates.Deleted), ErrNotFound))
}

func day(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return t.UTC().Format(time.DateOnly)
}

// isTombstone reports whether img is a DELETED image's remaining metadata.
func isTombstone(img *Image) bool { return strings.EqualFold(img.State, string(registry.Deleted)) }

// lockImage takes an exclusive flock for image id's metadata, waiting for another run's
// change to end. The lock files live apart from the images, in locks/.
func (r *Registry) lockImage(id string) (func(), error) {
	k, err := key(id)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(r.Dir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock image %s: %w", id, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, k+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock image %s: %w", id, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock image %s: %w", id, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// Family is a family pointer: its current image and every promotion, oldest first.
type Family = registry.Family

// Promotion is one move of a family pointer.
type Promotion = registry.Promotion

func (r *Registry) familyPath(name string) string {
	return filepath.Join(r.Dir, "families", name+".json")
}

// Family reads a family pointer; a family never promoted has an empty Current.
func (r *Registry) Family(name string) (*Family, error) {
	data, err := os.ReadFile(r.familyPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return &Family{Name: name}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read family %s: %w", name, err)
	}
	var f Family
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read family %s: %w", name, err)
	}
	if f.Name != name {
		return nil, exitcode.New(exitcode.RecordInvalid, "read family %s: %s names family %q: the file was replaced", name, r.familyPath(name), f.Name)
	}
	return &f, nil
}

// Pointer returns the family pointer and its history (registry.Registry).
func (r *Registry) Pointer(_ context.Context, family string) (*registry.Family, error) {
	return r.Family(family)
}

// Point moves the family pointer to id at the given time and appends the promotion to the
// history (registry.Registry); pointing it at its current image changes nothing.
func (r *Registry) Point(_ context.Context, name, id, environment string, at time.Time) (previous string, err error) {
	if _, err := r.Get(id); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "families"), 0o755); err != nil {
		return "", fmt.Errorf("family %s: %w", name, err)
	}
	unlock, err := lockFile(r.familyPath(name) + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	f, err := r.Family(name)
	if err != nil {
		return "", err
	}
	if f.Current == id {
		return id, nil
	}
	previous = f.Current
	f.Current = id
	f.History = append(f.History, Promotion{ImageID: id, Environment: environment, At: at.UTC()})
	if err := writeJSON(r.familyPath(name), f); err != nil {
		return "", fmt.Errorf("family %s: %w", name, err)
	}
	return previous, nil
}

// Lock takes the family's rotation lock (registry.Locker); exit 3 when another run holds it.
func (r *Registry) Lock(_ context.Context, family string) (func(), error) {
	if err := os.MkdirAll(filepath.Join(r.Dir, "families"), 0o755); err != nil {
		return nil, fmt.Errorf("lock family %s: %w", family, err)
	}
	return lockFile(filepath.Join(r.Dir, "families", family+".rotate.lock"))
}

// lockFile takes an exclusive, non-blocking flock on path.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, exitcode.New(exitcode.Locked, "%s is locked by another kiln run", path)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Family is a family pointer: its current image and every promotion, oldest first.
type Family struct {
	Name    string      `json:"name"`
	Current string      `json:"current"`
	History []Promotion `json:"history"`
}

// Promotion is one move of a family pointer.
type Promotion struct {
	ImageID     string    `json:"image_id"`
	Environment string    `json:"environment,omitempty"`
	At          time.Time `json:"at"`
}

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
	return &f, nil
}

// SetFamily points family at image id (which must be in the registry) and returns the image
// it pointed at before. Pointing it at its current image changes nothing. Concurrent moves
// of the same family are refused with exit code 3.
func (r *Registry) SetFamily(name, id, environment string) (previous string, err error) {
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
	f.History = append(f.History, Promotion{ImageID: id, Environment: environment, At: r.Now().UTC()})
	if err := writeJSON(r.familyPath(name), f); err != nil {
		return "", fmt.Errorf("family %s: %w", name, err)
	}
	return previous, nil
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

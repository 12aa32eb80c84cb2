// Package local is the local image registry: a directory holding each imported image under a
// content-addressed id (local:sha256:<hex>), its metadata, and one pointer file per family
// naming the family's current image. Image files are stored read-only; nothing kiln runs
// writes to them (deployments use copy-on-write overlays).
//
// Layout:
//
//	<dir>/images/<hex>/image.json    metadata (Image)
//	<dir>/images/<hex>/<file>...     the image's files
//	<dir>/families/<family>.json     the family pointer and its history
//
// Registry also implements registry.Registry (lifecycle.go): a DELETED image loses its
// files but keeps its image.json, so that a record naming it says when it was deleted.
package local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// IDPrefix starts every local image id.
const IDPrefix = "local:sha256:"

// ErrNotFound is returned for an image id the registry does not hold.
var ErrNotFound = registry.ErrNotFound

// Registry is a local image registry rooted at Dir.
type Registry struct {
	Dir string
	Now func() time.Time
}

// File is one file of an image.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Image is an image's metadata.
type Image struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Family    string            `json:"family"`
	Files     []File            `json:"files"`
	CreatedAt time.Time         `json:"created_at"`
	State     string            `json:"state"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Dates are when the image was deprecated, made obsolete and deleted, or is planned to
	// be; a DELETED image keeps its metadata (without its files) as a tombstone.
	Dates registry.Dates `json:"dates,omitzero"`
}

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Digest computes the content-addressed id of a set of files: one file's id is its SHA-256;
// several files hash their sorted "sha256  name" lines, as sha256sum prints them.
func Digest(files []File) string {
	if len(files) == 1 {
		return IDPrefix + files[0].SHA256
	}
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s  %s\n", f.SHA256, f.Name)
	}
	return IDPrefix + hex.EncodeToString(h.Sum(nil))
}

// HashFile returns the SHA-256 and size of path.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// key returns the directory name of id, or ErrNotFound for an id that is not local.
func key(id string) (string, error) {
	k := strings.TrimPrefix(id, IDPrefix)
	if k == id || !hexID.MatchString(k) {
		return "", exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("%q is not a local image id (%s<64 hex digits>): %w", id, IDPrefix, ErrNotFound))
	}
	return k, nil
}

func (r *Registry) imageDir(k string) string { return filepath.Join(r.Dir, "images", k) }

// Get returns the metadata of image id; a missing image is ErrNotFound with exit code 7.
func (r *Registry) Get(id string) (*Image, error) {
	k, err := key(id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(r.imageDir(k), "image.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("image %s is not in the registry %s: %w", id, r.Dir, ErrNotFound))
	}
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", id, err)
	}
	var img Image
	if err := json.Unmarshal(data, &img); err != nil {
		return nil, fmt.Errorf("read image %s: %w", id, err)
	}
	if img.ID != id {
		return nil, exitcode.New(exitcode.ImageNotFound, "image %s: the registry's metadata names %s: %s was replaced", id, img.ID, filepath.Join(r.imageDir(k), "image.json"))
	}
	return &img, nil
}

// Path returns the path of the image's first file (the disk of a VM image).
func (r *Registry) Path(img *Image) string {
	k, _ := key(img.ID)
	if len(img.Files) == 0 {
		return r.imageDir(k)
	}
	return filepath.Join(r.imageDir(k), img.Files[0].Name)
}

// Verify re-hashes the image's files and fails if any differs from its metadata; a
// DELETED image fails with exit code 7.
func (r *Registry) Verify(img *Image) error {
	k, err := key(img.ID)
	if err != nil {
		return err
	}
	if isTombstone(img) {
		return deletedError(img)
	}
	// The id is the digest of the files' names and hashes: metadata listing other hashes
	// (rewritten after the files were swapped) cannot pass for the image.
	if len(img.Files) == 0 || Digest(img.Files) != img.ID {
		return exitcode.New(exitcode.ImageNotFound, "verify image %s: its metadata lists files whose digest is not the id: the registry entry was tampered with", img.ID)
	}
	for _, f := range img.Files {
		sum, _, err := HashFile(filepath.Join(r.imageDir(k), f.Name))
		if err != nil {
			return fmt.Errorf("verify image %s: %w", img.ID, err)
		}
		if sum != f.SHA256 {
			return exitcode.New(exitcode.ImageNotFound, "verify image %s: %s changed since it was imported", img.ID, f.Name)
		}
	}
	return nil
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

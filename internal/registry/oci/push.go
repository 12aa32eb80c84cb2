package oci

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/registry"
)

// manifestName is the file name a pulled image keeps its manifest under; no layer may be
// called that.
const manifestName = "manifest.json"

// File is a file to push; Digest and Size are known when the caller hashed it already
// (kiln-bake hashes every artifact file for the record), else empty.
type File struct {
	Path   string
	Digest digest.Digest
	Size   int64
}

// Push pushes a file image, its disk first and then its other files (a kernel, an initrd),
// as an OCI artifact of type ArtifactType with one layer per file, streamed from disk, and
// tags it <family>.<hex>; it returns the image, READY. A layer the repository already holds
// is not sent again. Labels (the provenance labels) become annotations; the family pointer
// does not move.
func (r *Registry) Push(ctx context.Context, paths []string, name, family string, labels map[string]string) (*registry.Image, error) {
	files := make([]File, len(paths))
	for i, p := range paths {
		files[i].Path = p
	}
	return r.PushFiles(ctx, files, name, family, labels)
}

// PushFiles is Push for files whose digests may be known: a known digest saves reading the
// file twice, and the registry checks it as the file streams.
func (r *Registry) PushFiles(ctx context.Context, files []File, name, family string, labels map[string]string) (*registry.Image, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("push %s: no files", name)
	}
	seen := map[string]bool{}
	var layers []ocispec.Descriptor
	for _, file := range files {
		base := filepath.Base(file.Path)
		if seen[base] || base == manifestName {
			return nil, fmt.Errorf("push %s: two files named %s", name, base)
		}
		seen[base] = true
		desc, err := r.pushFile(ctx, file)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", name, err)
		}
		layers = append(layers, desc)
	}
	created := r.now().UTC()
	a := map[string]string{ocispec.AnnotationCreated: formatTime(created), ocispec.AnnotationTitle: name, annFamily: family, annName: name}
	if sha := labels[registry.LabelSourceSHA]; sha != "" {
		a[ocispec.AnnotationRevision] = sha
	}
	for k, v := range labels {
		a[annLabel+k] = v
	}
	m := newManifest(ArtifactType, layers, nil, a)
	// The tag needs the digest, and the digest the manifest: push it, then tag it.
	desc, err := r.pushManifest(ctx, m, "")
	if err != nil {
		return nil, r.wrap("push "+name, err)
	}
	if err := r.repo.Tag(ctx, desc, imageTag(family, desc.Digest)); err != nil {
		return nil, r.wrap("tag "+name, err)
	}
	r.mu.Lock()
	r.images[desc.Digest] = &manifestInfo{desc: desc, manifest: m, family: family, name: name, created: created, labels: labels}
	r.mu.Unlock()
	img := &registry.Image{ID: r.ID(desc.Digest), Name: name, Family: family, State: registry.Ready, Created: created,
		Labels: map[string]string{}, Refs: []string{r.repository + "@" + desc.Digest.String()}}
	for k, v := range labels {
		img.Labels[k] = v
	}
	return img, nil
}

// pushFile pushes a file as a layer unless the repository already holds it, hashing it
// first when its digest is unknown; the file streams and is never held in memory.
func (r *Registry) pushFile(ctx context.Context, file File) (ocispec.Descriptor, error) {
	path, base := file.Path, filepath.Base(file.Path)
	f, err := os.Open(path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer f.Close()
	desc := ocispec.Descriptor{MediaType: FileMediaType, Digest: file.Digest, Size: file.Size,
		Annotations: map[string]string{ocispec.AnnotationTitle: base}}
	if file.Digest == "" {
		h := sha256.New()
		if desc.Size, err = io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
			return desc, fmt.Errorf("hash %s: %w", path, err)
		}
		desc.Digest = digest.NewDigest(digest.SHA256, h)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return desc, err
		}
	}
	if ok, err := r.repo.Exists(ctx, desc); err != nil {
		return desc, r.wrap("push "+base, err)
	} else if ok {
		return desc, nil
	}
	// The file could change after it was hashed: the registry checks the digest.
	if err := r.repo.Push(ctx, desc, io.LimitReader(f, desc.Size)); err != nil {
		return desc, r.wrap("push "+base, err)
	}
	return desc, nil
}

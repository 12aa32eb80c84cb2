package oci

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// Pulled is an image in the local cache.
type Pulled struct {
	Path       string   // the disk: the first file
	Files      []string // every file, the disk first
	Cached     bool     // the cache held the whole image already (its files were re-hashed)
	Downloaded int64    // bytes fetched from the registry
	Resumed    int64    // bytes of partial downloads that were kept
}

// Pull makes image id's files available on this machine, by digest only: the manifest and
// each layer are checked against their digests while they stream to disk, into a
// content-addressed cache shared by every run on the machine:
//
//	<cache>/blobs/sha256/<hex>          a verified layer (read-only)
//	<cache>/blobs/sha256/<hex>.partial  a layer being downloaded, resumed from its end
//	<cache>/images/<hex>/<file>...      the image's files (hard links to the layers)
//	<cache>/images/<hex>/manifest.json  its manifest, written last
//
// A second pull of the image finds it in the cache and re-hashes its files, as the local
// registry does on every deploy. A DELETED image, or one the repository does not hold, is
// exit 7.
func (r *Registry) Pull(ctx context.Context, id string) (*Pulled, error) {
	d, err := r.digestOf(id)
	if err != nil {
		return nil, err
	}
	img, err := r.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	if img.State == registry.Deleted {
		return nil, exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("image %s was deleted on %s (its tombstone remains in %s): %w",
			id, day(img.Dates.Deleted), r.repository, registry.ErrNotFound))
	}
	if r.cacheDir == "" {
		return nil, exitcode.New(exitcode.Usage, "pull %s: no cache directory: set %s (or HOME)", id, EnvCache)
	}
	dir := filepath.Join(r.cacheDir, "images", d.Encoded())
	if p, err := cached(dir, d); err == nil {
		p.Cached = true
		return p, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		// A cached file changed: fetch the image again.
		if err := removeAll(dir); err != nil {
			return nil, fmt.Errorf("pull %s: %w", id, err)
		}
	}
	_, m, raw, err := r.fetchManifest(ctx, d.String())
	if err != nil {
		return nil, r.wrap("pull "+id, err)
	}
	names, err := fileNames(m)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", id, err)
	}
	p := &Pulled{}
	blobs := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		st, err := r.blob(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("pull %s: %s: %w", id, names[i], err)
		}
		blobs[i] = st.path
		p.Downloaded += st.downloaded
		p.Resumed += st.resumed
	}
	if err := install(dir, names, blobs, raw); err != nil {
		return nil, fmt.Errorf("pull %s: %w", id, err)
	}
	for _, n := range names {
		p.Files = append(p.Files, filepath.Join(dir, n))
	}
	p.Path = p.Files[0]
	return p, nil
}

// fileNames returns the file name of each layer, refusing a manifest that is not a kiln
// image or whose names could leave the image's directory.
func fileNames(m *ocispec.Manifest) ([]string, error) {
	if m.ArtifactType != ArtifactType || len(m.Layers) == 0 {
		return nil, fmt.Errorf("the manifest is not a kiln VM image (artifact type %q)", m.ArtifactType)
	}
	seen := map[string]bool{}
	var names []string
	for _, l := range m.Layers {
		n := l.Annotations[ocispec.AnnotationTitle]
		if n == "" || n == "." || n == ".." || n == manifestName || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, ".") || seen[n] {
			return nil, fmt.Errorf("layer %s has no usable file name (%q)", l.Digest, n)
		}
		if l.Digest.Algorithm() != digest.SHA256 || l.Digest.Validate() != nil || l.Size < 0 {
			return nil, fmt.Errorf("layer %q has digest %q: kiln pulls sha256 layers only", n, l.Digest)
		}
		seen[n] = true
		names = append(names, n)
	}
	return names, nil
}

// cached returns the image in dir after checking its manifest and re-hashing its files;
// fs.ErrNotExist when the cache does not hold it (whole).
func cached(dir string, d digest.Digest) (*Pulled, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	if digest.FromBytes(raw) != d {
		return nil, fmt.Errorf("cached manifest of %s changed", d)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	names, err := fileNames(&m)
	if err != nil {
		return nil, err
	}
	p := &Pulled{}
	for i, n := range names {
		path := filepath.Join(dir, n)
		if err := verifyFile(path, m.Layers[i]); err != nil {
			return nil, err
		}
		p.Files = append(p.Files, path)
	}
	p.Path = p.Files[0]
	return p, nil
}

// verifyFile checks that path has desc's size and digest.
func verifyFile(path string, desc ocispec.Descriptor) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	if err != nil {
		return err
	}
	if n != desc.Size || digest.NewDigest(digest.SHA256, h) != desc.Digest {
		return fmt.Errorf("cached %s does not match layer %s", path, desc.Digest)
	}
	return nil
}

// install links the verified blobs into a new directory under their file names, writes the
// manifest last and moves the directory into place; another run that installed the image
// first wins.
func install(dir string, names, blobs []string, raw []byte) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	staging, err := newStaging(parent)
	if err != nil {
		return err
	}
	defer removeAll(staging)
	for i, n := range names {
		if err := linkOrCopy(blobs[i], filepath.Join(staging, n)); err != nil {
			return err
		}
	}
	if err := writeNew(filepath.Join(staging, manifestName), raw, 0o444); err != nil {
		return err
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	if err := os.Rename(staging, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, manifestName)); serr == nil {
			return nil // installed by another run meanwhile
		}
		return err
	}
	return nil
}

// linkOrCopy hard-links src to dst, or copies it across file systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
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
	if _, err := io.CopyBuffer(out, in, make([]byte, 1<<20)); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o444)
}

// writeNew writes data to a new file. The cache never fsyncs: every file is checked
// against its digest before it is used.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeAll removes a cache directory whose files are read-only.
func removeAll(dir string) error {
	_ = os.Chmod(dir, 0o755)
	return os.RemoveAll(dir)
}

// pollLock is how often a pull waiting for another run's download of the same layer looks
// again.
const pollLock = 100 * time.Millisecond

package oci

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// errDigest is a download whose bytes do not hash to the layer's digest.
var errDigest = errors.New("the downloaded bytes do not match the layer's digest")

// blobStat is where a layer is cached and how much of it was fetched.
type blobStat struct {
	path                string
	downloaded, resumed int64
}

// blob returns the cached, verified copy of layer desc, downloading what is missing: a
// partial download left by a killed run resumes from its end with a Range request when the
// registry serves ranges, and starts over otherwise. One run at a time downloads a layer;
// the others wait for it (a lock on the partial file). A cached layer is re-hashed before
// it is used for another image.
func (r *Registry) blob(ctx context.Context, desc ocispec.Descriptor) (blobStat, error) {
	dir := filepath.Join(r.cacheDir, "blobs", "sha256")
	final := filepath.Join(dir, desc.Digest.Encoded())
	st := blobStat{path: final}
	if _, err := os.Stat(final); err == nil {
		if verifyFile(final, desc) == nil {
			return st, nil
		}
		if err := os.Remove(final); err != nil { // changed since it was downloaded
			return st, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	partial := final + ".partial"
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return st, err
	}
	defer f.Close()
	if err := lock(ctx, f); err != nil {
		return st, err
	}
	if _, err := os.Stat(final); err == nil {
		return st, nil // another run downloaded it while this one waited
	}
	fi, err := f.Stat()
	if err != nil {
		return st, err
	}
	off := fi.Size()
	if off >= desc.Size {
		off = 0 // longer than the layer, or whole but not moved into place: check it all again
	}
	for {
		n, resumed, err := r.download(ctx, f, desc, off)
		st.downloaded += n
		if errors.Is(err, errDigest) && resumed > 0 {
			off = 0 // the kept part was wrong: start over, once
			continue
		}
		if err != nil {
			return st, err
		}
		st.resumed = resumed
		break
	}
	if err := f.Chmod(0o444); err != nil {
		return st, err
	}
	if err := os.Rename(partial, final); err != nil {
		return st, err
	}
	return st, nil
}

// download writes layer desc into f from offset off (the bytes before it kept from an
// earlier download), hashing everything, and returns the bytes it fetched and kept.
func (r *Registry) download(ctx context.Context, f *os.File, desc ocispec.Descriptor, off int64) (fetched, kept int64, err error) {
	h := sha256.New()
	if off > 0 {
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, off)); err != nil {
			return 0, 0, err
		}
	}
	rc, err := r.repo.Fetch(ctx, desc)
	if err != nil {
		return 0, 0, r.wrap("fetch layer "+desc.Digest.String(), err)
	}
	defer rc.Close()
	if off > 0 {
		s, ok := rc.(io.Seeker)
		if !ok {
			off = 0 // the registry serves no ranges
		} else if _, err := s.Seek(off, io.SeekStart); err != nil {
			off = 0 // the stream is still at its start
		}
		if off == 0 {
			h.Reset()
		}
	}
	if err := f.Truncate(off); err != nil {
		return 0, off, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, off, err
	}
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(rc, desc.Size-off), make([]byte, 1<<20))
	if err != nil {
		return n, off, fmt.Errorf("fetch layer %s: %w (%d of %d bytes kept for the next pull)", desc.Digest, err, off+n, desc.Size)
	}
	if off+n != desc.Size {
		return n, off, fmt.Errorf("fetch layer %s: the registry sent %d of %d bytes", desc.Digest, off+n, desc.Size)
	}
	if sum(h) != desc.Digest {
		_ = f.Truncate(0)
		return n, off, fmt.Errorf("fetch layer %s: %w", desc.Digest, errDigest)
	}
	// No fsync: a layer is hashed again before every use (cached), so a copy torn by a crash
	// is found and fetched again rather than trusted.
	return n, off, nil
}

func sum(h hash.Hash) digest.Digest { return digest.NewDigest(digest.SHA256, h) }

// lock takes an exclusive flock on f, waiting for another run's while ctx allows.
func lock(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if err := sleep(ctx, pollLock); err != nil {
			return err
		}
	}
}

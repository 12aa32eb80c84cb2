package oci_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/registry/oci/ocitest"
)

// counter is a transport that counts the blob bytes it receives and the Range requests it
// sends.
type counter struct {
	blobBytes atomic.Int64
	ranges    atomic.Int32
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Range") != "" {
		c.ranges.Add(1)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.Contains(req.URL.Path, "/blobs/sha256:") && req.Method == http.MethodGet {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.blobBytes}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// pushRandom pushes an image of one random file of size bytes and returns its id and content.
func pushRandom(t testing.TB, reg *oci.Registry, size int) (string, []byte) {
	t.Helper()
	content := make([]byte, size)
	if _, err := rand.Read(content); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := reg.Push(context.Background(), []string{p}, "web-1", "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	return img.ID, content
}

// TestPullResumes: a partial download left by a killed run is resumed with a Range request,
// and only the missing bytes come over the network; a partial download with wrong bytes is
// thrown away and the layer fetched whole.
func TestPullResumes(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	reg := open(t, s, "kiln", time.Now, nil)
	const size, kept = 3 << 20, 1 << 20
	id, content := pushRandom(t, reg, size)
	for _, tc := range []struct {
		name       string
		partial    []byte
		downloaded int64
		resumed    int64
	}{
		{"good partial", content[:kept], size - kept, kept},
		{"wrong partial", bytes.Repeat([]byte{1}, kept), size - kept + size, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &counter{}
			runner := open(t, s, "kiln", time.Now, c)
			blobs := filepath.Join(runner.CacheDir(), "blobs", "sha256")
			if err := os.MkdirAll(blobs, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(blobs, sha(content)+".partial"), tc.partial, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := runner.Pull(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p.Path)
			if err != nil || !bytes.Equal(b, content) {
				t.Fatalf("pulled file differs: %v", err)
			}
			if p.Downloaded != tc.downloaded || p.Resumed != tc.resumed || c.blobBytes.Load() != tc.downloaded || c.ranges.Load() == 0 {
				t.Fatalf("downloaded %d (counted %d), resumed %d, %d range requests; want %d downloaded, %d resumed",
					p.Downloaded, c.blobBytes.Load(), p.Resumed, c.ranges.Load(), tc.downloaded, tc.resumed)
			}
			if _, err := os.Stat(filepath.Join(blobs, sha(content)+".partial")); !os.IsNotExist(err) {
				t.Errorf("the partial file remains: %v", err)
			}
		})
	}
}

// TestPullRepairsCache: a cached file that changed is found when the image is used again
// and fetched anew; two runs pulling one image at once share one download.
func TestPullRepairsCache(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	reg := open(t, s, "kiln", time.Now, nil)
	id, content := pushRandom(t, reg, 2<<20)
	c := &counter{}
	runner := open(t, s, "kiln", time.Now, c)
	ctx := context.Background()
	var wg sync.WaitGroup
	pulled := make([]*oci.Pulled, 3)
	errs := make([]error, 3)
	for i := range pulled {
		wg.Add(1)
		go func() { defer wg.Done(); pulled[i], errs[i] = runner.Pull(ctx, id) }()
	}
	wg.Wait()
	for i := range pulled {
		if errs[i] != nil || pulled[i].Path != pulled[0].Path {
			t.Fatalf("concurrent pull %d: %+v, %v", i, pulled[i], errs[i])
		}
	}
	if n := c.blobBytes.Load(); n != int64(len(content)) {
		t.Fatalf("three concurrent pulls fetched %d bytes, want %d", n, len(content))
	}
	path := pulled[0].Path
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := runner.Pull(ctx, id)
	if err != nil || p.Cached || p.Downloaded != int64(len(content)) {
		t.Fatalf("pull after tampering: %+v, %v", p, err)
	}
	if b, _ := os.ReadFile(p.Path); !bytes.Equal(b, content) {
		t.Fatal("the tampered file was not replaced")
	}
	if p, err := runner.Pull(ctx, id); err != nil || !p.Cached {
		t.Fatalf("pull after the repair: %+v, %v", p, err)
	}
}

// TestPushKnownDigest: a digest the caller computed spares a second read of the file, and
// the registry refuses the upload when the file no longer matches it.
func TestPushKnownDigest(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	reg := open(t, s, "kiln", time.Now, nil)
	p := writeFile(t, t.TempDir(), "disk.raw", "the disk")
	good := oci.File{Path: p, Digest: digest.FromString("the disk"), Size: 8}
	img, err := reg.PushFiles(context.Background(), []oci.File{good}, "web-1", "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := open(t, s, "kiln", time.Now, nil).Pull(context.Background(), img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(pulled.Path); string(b) != "the disk" {
		t.Fatalf("pulled %q", b)
	}
	stale := oci.File{Path: writeFile(t, t.TempDir(), "disk.raw", "changed!"), Digest: digest.FromString("other!!!"), Size: 8}
	if _, err := reg.PushFiles(context.Background(), []oci.File{stale}, "web-2", "web", nil); err == nil {
		t.Fatal("the registry took a file that does not match its digest")
	}
}

package oci_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/registry/oci/ocitest"
)

// The benchmarks' image sizes: throughput on 500 MB, memory on 2 GB.
const (
	benchSize = 500 << 20
	rssSize   = 2 << 30
)

// TestMain lets the test binary double as the child process whose peak memory
// BenchmarkPeakRSS measures.
func TestMain(m *testing.M) {
	if op := os.Getenv("KILN_OCI_RSS_CHILD"); op != "" {
		os.Exit(rssChild(op))
	}
	os.Exit(m.Run())
}

// bigFile writes size bytes of pseudo-random data (no file system or registry shortcut
// applies to it) and returns its path.
func bigFile(b testing.TB, dir string, size int64) string {
	b.Helper()
	p := filepath.Join(dir, "disk.raw")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(w, r, size); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

func benchRegistry(b *testing.B, s *ocitest.Server, repo string) *oci.Registry {
	r, err := oci.New(oci.Options{Repository: s.Repository(repo), PlainHTTP: true, CacheDir: filepath.Join(b.TempDir(), "cache")})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkPush500MB: kiln-bake's push of a 500 MB disk to a registry on 127.0.0.1 (hash,
// then upload; each run to a new repository, so that no layer is skipped). Compare with
// BenchmarkCopy500MB.
func BenchmarkPush500MB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 500 MB")
	}
	s := ocitest.Start(b, ocitest.Options{})
	file := bigFile(b, b.TempDir(), benchSize)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reg := benchRegistry(b, s, "push"+strconv.Itoa(i))
		if _, err := reg.Push(context.Background(), []string{file}, "web-1", "web", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPull500MB: kiln-deploy-dev's pull of a 500 MB disk into an empty cache (stream,
// hash, fsync, link). Compare with BenchmarkCopy500MB.
func BenchmarkPull500MB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 500 MB")
	}
	s := ocitest.Start(b, ocitest.Options{})
	file := bigFile(b, b.TempDir(), benchSize)
	img, err := benchRegistry(b, s, "pull").Push(context.Background(), []string{file}, "web-1", "web", nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		reg := benchRegistry(b, s, "pull")
		b.StartTimer()
		p, err := reg.Pull(context.Background(), img.ID)
		if err != nil || p.Cached {
			b.Fatalf("pull: %+v, %v", p, err)
		}
		b.StopTimer()
		_ = os.RemoveAll(filepath.Dir(filepath.Dir(filepath.Dir(p.Path)))) // the cache: keep the disk free
		b.StartTimer()
	}
}

// BenchmarkCacheHit: a second deploy of the same image on one runner: the registry is asked
// for the image's state, and the cached files are re-hashed.
func BenchmarkCacheHit500MB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 500 MB")
	}
	s := ocitest.Start(b, ocitest.Options{})
	file := bigFile(b, b.TempDir(), benchSize)
	reg := benchRegistry(b, s, "hit")
	img, err := reg.Push(context.Background(), []string{file}, "web-1", "web", nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := reg.Pull(context.Background(), img.ID); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p, err := reg.Pull(context.Background(), img.ID); err != nil || !p.Cached {
			b.Fatalf("pull: %+v, %v", p, err)
		}
	}
}

// BenchmarkCopy500MB: cp of the same 500 MB file, the yardstick of push and pull.
func BenchmarkCopy500MB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 500 MB")
	}
	dir := b.TempDir()
	file := bigFile(b, dir, benchSize)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, "copy"+strconv.Itoa(i))
		if out, err := exec.Command("cp", file, dst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, out)
		}
		b.StopTimer()
		_ = os.Remove(dst)
		b.StartTimer()
	}
}

// BenchmarkPeakRSS pushes and pulls a 2 GB disk in child processes and reports each one's
// peak resident memory (VmHWM): flat in the image's size, since files stream. The idle
// child is the baseline.
func BenchmarkPeakRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 2 GB")
	}
	s := ocitest.Start(b, ocitest.Options{})
	dir := b.TempDir()
	file := bigFile(b, dir, rssSize)
	repo := s.Repository("rss")
	for i := 0; i < b.N; i++ {
		idle := runChild(b, "idle", repo, file, "", "")
		push := runChild(b, "push", repo, file, "", "")
		pull := runChild(b, "pull", repo, "", push.id, filepath.Join(dir, "cache"+strconv.Itoa(i)))
		b.ReportMetric(float64(idle.hwm)/1024, "idle-MB")
		b.ReportMetric(float64(push.hwm)/1024, "push-2GB-MB")
		b.ReportMetric(float64(pull.hwm)/1024, "pull-2GB-MB")
		b.Logf("peak RSS: idle %d MB, push 2 GB %d MB in %s, pull 2 GB %d MB in %s",
			idle.hwm/1024, push.hwm/1024, push.took.Round(time.Millisecond), pull.hwm/1024, pull.took.Round(time.Millisecond))
		_ = os.RemoveAll(filepath.Join(dir, "cache"+strconv.Itoa(i)))
	}
}

type childResult struct {
	hwm  int64 // kB
	id   string
	took time.Duration
}

func runChild(b *testing.B, op, repo, file, id, cache string) childResult {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KILN_OCI_RSS_CHILD="+op, "KILN_OCI_RSS_REPO="+repo, "KILN_OCI_RSS_FILE="+file,
		"KILN_OCI_RSS_ID="+id, "KILN_OCI_RSS_CACHE="+cache)
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child %s: %v: %s", op, err, out)
	}
	var r childResult
	r.took = time.Since(start)
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "hwm "); ok {
			r.hwm, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "id "); ok {
			r.id = v
		}
	}
	if r.hwm == 0 {
		b.Fatalf("child %s reported no peak memory: %s", op, out)
	}
	return r
}

// rssChild pushes or pulls as BenchmarkPeakRSS asks and prints its peak RSS in kB.
func rssChild(op string) int {
	reg, err := oci.New(oci.Options{Repository: os.Getenv("KILN_OCI_RSS_REPO"), PlainHTTP: true, CacheDir: os.Getenv("KILN_OCI_RSS_CACHE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	switch op {
	case "push":
		img, err := reg.Push(ctx, []string{os.Getenv("KILN_OCI_RSS_FILE")}, "web-1", "web", nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("id", img.ID)
	case "pull":
		if _, err := reg.Pull(ctx, os.Getenv("KILN_OCI_RSS_ID")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Println("hwm", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0
}

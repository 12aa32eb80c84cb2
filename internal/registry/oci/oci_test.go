package oci_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/registry/oci/ocitest"
)

// open returns a registry on a new repository of s, logged in when s wants a login.
func open(t testing.TB, s *ocitest.Server, repo string, now func() time.Time, tr http.RoundTripper) *oci.Registry {
	t.Helper()
	o := oci.Options{Repository: s.Repository(repo), PlainHTTP: s.PlainHTTP, CAFile: s.CAFile, Now: now,
		CacheDir: filepath.Join(t.TempDir(), "cache"), Transport: tr}
	if s.User != "" {
		o.Credential, o.CredentialSource = auth.Credential{Username: s.User, Password: s.Password}, "the test's login"
	}
	if tr != nil && s.CAFile != "" {
		t.Fatal("a test transport and a CA file do not mix")
	}
	r, err := oci.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func skipShort(t testing.TB) {
	if testing.Short() {
		t.Skip("starts a registry server")
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestPushPull: over TLS with a login, a three-file image goes up as one artifact with a
// layer per file and comes down into the cache, the disk first; the second pull is a
// cache hit; List and Lookup see it with its provenance labels.
func TestPushPull(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{Auth: true, TLS: true})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := open(t, s, "team/vm-images", func() time.Time { return now }, nil)
	ctx := context.Background()
	src := t.TempDir()
	files := map[string]string{"disk.qcow2": strings.Repeat("disk ", 100000), "vmlinuz": "kernel", "initrd.img": "initrd"}
	paths := []string{writeFile(t, src, "disk.qcow2", files["disk.qcow2"]), writeFile(t, src, "vmlinuz", files["vmlinuz"]), writeFile(t, src, "initrd.img", files["initrd.img"])}
	labels := map[string]string{registry.LabelFamily: "web", registry.LabelSourceSHA: "0123abcd"}
	img, err := reg.Push(ctx, paths, "web-1", "web", labels)
	if err != nil {
		t.Fatal(err)
	}
	repo, d, ok := oci.ParseID(img.ID)
	if !ok || repo != s.Repository("team/vm-images") || img.State != registry.Ready || !img.Created.Equal(now) {
		t.Fatalf("pushed %+v", img)
	}

	// The manifest, as any OCI client sees it.
	m := fetchJSON(t, s, "team/vm-images", "manifests/"+d.String())
	if m["artifactType"] != oci.ArtifactType {
		t.Errorf("artifactType %v", m["artifactType"])
	}
	layers := m["layers"].([]any)
	if len(layers) != 3 {
		t.Fatalf("%d layers", len(layers))
	}
	for i, n := range []string{"disk.qcow2", "vmlinuz", "initrd.img"} {
		l := layers[i].(map[string]any)
		title := l["annotations"].(map[string]any)["org.opencontainers.image.title"]
		if title != n || l["digest"] != "sha256:"+sha([]byte(files[n])) || l["mediaType"] != oci.FileMediaType {
			t.Errorf("layer %d: %v", i, l)
		}
	}
	ann := m["annotations"].(map[string]any)
	if ann["dev.kiln-ci.label.kiln-source-sha"] != "0123abcd" || ann["org.opencontainers.image.revision"] != "0123abcd" || ann["dev.kiln-ci.family"] != "web" {
		t.Errorf("annotations %v", ann)
	}

	got, err := reg.Lookup(ctx, img.ID)
	if err != nil || got.Name != "web-1" || got.Labels[registry.LabelSourceSHA] != "0123abcd" || got.State != registry.Ready {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	list, err := reg.List(ctx, "web")
	if err != nil || len(list) != 1 || list[0].ID != img.ID {
		t.Fatalf("List = %+v, %v", list, err)
	}

	// A second runner: another registry client, another cache.
	runner := open(t, s, "team/vm-images", time.Now, nil)
	p, err := runner.Pull(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cached || filepath.Base(p.Path) != "disk.qcow2" || len(p.Files) != 3 || p.Downloaded != int64(len(files["disk.qcow2"])+12) {
		t.Fatalf("first pull %+v", p)
	}
	for _, f := range p.Files {
		b, err := os.ReadFile(f)
		if err != nil || string(b) != files[filepath.Base(f)] {
			t.Fatalf("pulled %s: %v", f, err)
		}
	}
	again, err := runner.Pull(ctx, img.ID)
	if err != nil || !again.Cached || again.Downloaded != 0 || again.Path != p.Path {
		t.Fatalf("second pull %+v, %v", again, err)
	}

	// Pushing the same files again sends no layer twice (the registry has them).
	now = now.Add(time.Hour)
	img2, err := reg.Push(ctx, paths, "web-2", "web", labels)
	if err != nil || img2.ID == img.ID {
		t.Fatalf("second push %+v, %v", img2, err)
	}
	if list, _ := reg.List(ctx, "web"); len(list) != 2 || list[1].ID != img2.ID {
		t.Fatalf("List after a second push: %+v", list)
	}
}

// fetchJSON GETs /v2/<repo>/<path> with the server's login and decodes it.
func fetchJSON(t testing.TB, s *ocitest.Server, repo, path string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/v2/"+repo+"/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	if s.User != "" {
		req.SetBasicAuth(s.User, s.Password)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return m
}

// status returns the status of a HEAD of /v2/<repo>/<path>.
func status(t testing.TB, s *ocitest.Server, repo, path string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, s.URL()+"/v2/"+repo+"/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	if s.User != "" {
		req.SetBasicAuth(s.User, s.Password)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRefusedLogin: a wrong password fails with a message that says where credentials come
// from and never holds the password.
func TestRefusedLogin(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{Auth: true, TLS: true})
	const wrong = "not-the-password-123"
	reg, err := oci.New(oci.Options{Repository: s.Repository("kiln"), CAFile: s.CAFile, CredentialSource: "KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD",
		Credential: auth.Credential{Username: s.User, Password: wrong}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg.List(context.Background(), "web")
	if err == nil || !strings.Contains(err.Error(), "credentials: KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("List with a wrong password: %v", err)
	}
	// Without the CA, TLS fails.
	reg, err = oci.New(oci.Options{Repository: s.Repository("kiln"), CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.List(context.Background(), "web"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("List without the CA: %v", err)
	}
}

// TestLifecycleMethods: every Registry method on a plain registry, the tombstone of a
// deleted image and the promotion history.
func TestLifecycleMethods(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	w := newWorld(t, s)
	ctx := context.Background()
	w.now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := w.Bake(t, "fam", 1, w.now)
	b := w.Bake(t, "fam", 2, w.now.Add(time.Hour))
	w.Bake(t, "other", 3, w.now)
	images, err := w.reg.List(ctx, "fam")
	if err != nil || len(images) != 2 || images[0].ID != a || images[1].ID != b {
		t.Fatalf("List = %v, %v", images, err)
	}
	if images, err := w.reg.List(ctx, "none"); err != nil || len(images) != 0 {
		t.Fatalf("List(none) = %v, %v", images, err)
	}

	fam, err := w.reg.Pointer(ctx, "fam")
	if err != nil || fam.Current != "" || len(fam.History) != 0 {
		t.Fatalf("Pointer before any promotion = %+v, %v", fam, err)
	}
	if prev, err := w.reg.Point(ctx, "fam", a, "prod", w.now.Add(time.Hour)); err != nil || prev != "" {
		t.Fatalf("Point = %s, %v", prev, err)
	}
	if prev, err := w.reg.Point(ctx, "fam", b, "prod", w.now.Add(2*time.Hour)); err != nil || prev != a {
		t.Fatalf("Point = %s, %v", prev, err)
	}
	if prev, err := w.reg.Point(ctx, "fam", b, "prod", w.now.Add(3*time.Hour)); err != nil || prev != b {
		t.Fatalf("Point at the current image = %s, %v", prev, err)
	}
	fam, _ = w.reg.Pointer(ctx, "fam")
	if fam.Current != b || fam.Previous() != a || len(fam.History) != 2 || fam.History[1].Environment != "prod" || !fam.History[1].At.Equal(w.now.Add(2*time.Hour)) {
		t.Fatalf("family %+v", fam)
	}
	// The family tag is what `oras pull <repo>:fam` fetches: the current image.
	_, bd, _ := oci.ParseID(b)
	if m := fetchJSON(t, s, "kiln", "manifests/fam"); m["annotations"].(map[string]any)["dev.kiln-ci.name"] != "fam-002" {
		t.Fatalf("the family tag names %v", m["annotations"])
	}

	if err := w.reg.Label(ctx, a, map[string]string{"kiln-pipeline": "p-1"}); err != nil {
		t.Fatal(err)
	}
	d := registry.Dates{Deprecated: w.now, Obsolete: w.now.AddDate(0, 1, 0)}
	if err := w.reg.SetState(ctx, a, registry.Deprecated, d); err != nil {
		t.Fatal(err)
	}
	if err := w.reg.Label(ctx, a, map[string]string{"kiln-pipeline": "p-2"}); err != nil {
		t.Fatal(err)
	}
	got, _ := w.reg.Lookup(ctx, a)
	if got.State != registry.Deprecated || got.Dates != d || got.Labels["kiln-pipeline"] != "p-2" || got.Labels["kiln-family"] != "fam" {
		t.Fatalf("after label and deprecate: %+v", got)
	}
	// Another client (another runner) reads the same state.
	other := open(t, s, "kiln", time.Now, nil)
	if got2, err := other.Lookup(ctx, a); err != nil || got2.State != got.State || got2.Dates != got.Dates || got2.Labels["kiln-pipeline"] != "p-2" {
		t.Fatalf("another client's Lookup = %+v, %v", got2, err)
	}

	if err := w.reg.Delete(ctx, a, w.now.AddDate(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	_, ad, _ := oci.ParseID(a)
	if code := status(t, s, "kiln", "manifests/"+ad.String()); code != http.StatusNotFound {
		t.Errorf("the deleted image's manifest answers %d, want 404", code)
	}
	for _, r := range []*oci.Registry{w.reg, other} {
		got, err := r.Lookup(ctx, a)
		if err != nil || got.State != registry.Deleted || !got.Dates.Deleted.Equal(w.now.AddDate(0, 3, 0)) || got.Dates.Deprecated != d.Deprecated ||
			got.Labels["kiln-pipeline"] != "p-2" || got.Name != "fam-001" {
			t.Fatalf("Lookup(deleted) = %+v, %v", got, err)
		}
	}
	if images, err := other.List(ctx, "fam"); err != nil || len(images) != 2 || images[0].State != registry.Deleted || images[0].ID != a {
		t.Fatalf("List with a tombstone = %+v, %v", images, err)
	}
	if err := w.reg.Delete(ctx, a, w.now.AddDate(0, 4, 0)); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := w.reg.SetState(ctx, a, registry.Ready, registry.Dates{}); exitcode.Of(err) != exitcode.ImageNotFound {
		t.Fatalf("SetState(deleted) = %v, want exit 7", err)
	}
	if _, err := other.Pull(ctx, a); exitcode.Of(err) != exitcode.ImageNotFound || !strings.Contains(err.Error(), "was deleted on 2026-04-01") {
		t.Fatalf("Pull(deleted) = %v, want exit 7", err)
	}
	if _, err := w.reg.Point(ctx, "fam", a, "prod", w.now); exitcode.Of(err) != exitcode.ImageNotFound {
		t.Fatalf("Point(deleted) = %v, want exit 7", err)
	}
	if err := w.reg.Delete(ctx, b, w.now); exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "current image") {
		t.Fatalf("Delete(current) = %v, want exit 2", err)
	}
	if err := w.reg.SetState(ctx, b, registry.Deleted, registry.Dates{}); err == nil {
		t.Fatal("SetState(DELETED) is no error: deletion goes through Delete")
	}

	// Ids of other repositories, malformed ids and unknown digests are exit 7.
	for _, id := range []string{"local:sha256:" + bd.Encoded(), "oci:" + s.Repository("elsewhere") + "@" + bd.String(),
		"oci:" + s.Repository("kiln") + "@sha256:" + strings.Repeat("0", 64), "oci:" + s.Repository("kiln") + "@sha256:abc"} {
		if _, err := w.reg.Lookup(ctx, id); exitcode.Of(err) != exitcode.ImageNotFound {
			t.Errorf("Lookup(%s) = %v, want exit 7", id, err)
		}
	}
	if u, err := w.reg.Uses(ctx, images); err != nil || len(u.By)+len(u.Unknown) != 0 {
		t.Errorf("Uses = %+v, %v", u, err)
	}
}

// TestAttestations: the newest attestation of an image comes back from any client; an
// image without one has none.
func TestAttestations(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	w := newWorld(t, s)
	ctx := context.Background()
	id := w.Bake(t, "fam", 1, time.Now())
	if b, err := w.reg.Attestation(ctx, id); err != nil || b != nil {
		t.Fatalf("Attestation before any = %s, %v", b, err)
	}
	w.now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := w.reg.PutAttestation(ctx, id, []byte(`{"payloadType":"a","payload":"MQ==","signatures":[]}`)); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute)
	newer := []byte(`{"payloadType":"b","payload":"Mg==","signatures":[]}`)
	if err := w.reg.PutAttestation(ctx, id, newer); err != nil {
		t.Fatal(err)
	}
	if err := w.reg.PutAttestation(ctx, id, []byte("not json")); err == nil {
		t.Error("PutAttestation(not JSON) is no error")
	}
	b, err := open(t, s, "kiln", time.Now, nil).Attestation(ctx, id)
	if err != nil || !bytes.Equal(b, newer) {
		t.Fatalf("Attestation = %s, %v", b, err)
	}
	// Change records and attestations share the referrers: state reads ignore attestations.
	if img, err := w.reg.Lookup(ctx, id); err != nil || img.State != registry.Ready {
		t.Fatalf("Lookup = %+v, %v", img, err)
	}
}

// TestConcurrentUpdates: a label (a revocation) and a state change racing on one image from
// two runners (two clients: no shared process) are both kept, although this registry keeps
// the referrers list in a tag that each change rewrites.
func TestConcurrentUpdates(t *testing.T) {
	skipShort(t)
	s := ocitest.Start(t, ocitest.Options{})
	w := newWorld(t, s)
	var ids []string
	for i := range 10 {
		ids = append(ids, w.Bake(t, "f", i, time.Now()))
	}
	one, two := open(t, s, "kiln", time.Now, nil), open(t, s, "kiln", time.Now, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for _, id := range ids {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if one.Label(ctx, id, map[string]string{"kiln-revoked-at": "1"}) != nil {
				failed.Add(1)
			}
		}()
		go func() {
			defer wg.Done()
			if two.SetState(ctx, id, registry.Deprecated, registry.Dates{Deprecated: time.Now()}) != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d updates failed", failed.Load())
	}
	check := open(t, s, "kiln", time.Now, nil)
	for _, id := range ids {
		img, err := check.Lookup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if img.Labels["kiln-revoked-at"] != "1" || img.State != registry.Deprecated {
			t.Fatalf("image %s lost an update: labels %v, state %s", id, img.Labels, img.State)
		}
	}
}

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVaultInterrupted: SIGTERM while Packer's provisioner runs (with the secrets, a PKI
// lease and a secret file in place): kiln exits 143, writes no record, revokes its token and
// the lease, and leaves no secret file or other trace.
func TestVaultInterrupted(t *testing.T) {
	vw := startVault(t)
	w := newVaultWorld(t)
	started := filepath.Join(w.dir, "started")
	env := vw.env(t, w, map[string]string{"KILN_TEST_SLOW": started, "KILN_STOP_TIMEOUT": "2s"})
	r := runWatched(t, w.dir, "bake", env, func(p *os.Process) {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
			if _, err := os.Stat(started); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = p.Signal(syscall.SIGTERM)
	})
	if _, err := os.Stat(started); err != nil {
		t.Fatalf("the provisioner never started: %s", r.result)
	}
	wantExit(t, r.result, 143, "interrupted")
	if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
		t.Error("an interrupted bake wrote a record")
	}
	left, _ := filepath.Glob(filepath.Join(w.dir, ".tmp", "kiln-*"))
	if len(left) > 0 {
		t.Errorf("kiln's private files left behind: %v", left)
	}
	vw.check(t, w, "interrupted bake", r, false)
}

// TestVaultGitHubMasks: on GitHub Actions kiln sends one ::add-mask:: per line of every
// secret and credential (GitHub masks line by line: a PEM key sent whole would not be
// masked), before anything else on stdout, once each; the rest of the output holds no secret.
func TestVaultGitHubMasks(t *testing.T) {
	vw := startVault(t)
	w := newVaultWorld(t)
	gh := filepath.Join(w.dir, ".github-files")
	if err := os.MkdirAll(gh, 0o755); err != nil {
		t.Fatal(err)
	}
	env := vw.env(t, w, map[string]string{"GITHUB_ACTIONS": "true",
		"GITHUB_OUTPUT": filepath.Join(gh, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(gh, "summary")})
	r := runWatched(t, w.dir, "bake", env, nil)
	if r.code != 0 {
		t.Fatalf("bake on GitHub: %s", r.result)
	}
	masks := map[string]int{}
	other := false
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		v, ok := strings.CutPrefix(l, "::add-mask::")
		if !ok {
			other = true
			continue
		}
		if other {
			t.Errorf("a mask comes after other output: %q", l)
		}
		if strings.Contains(v, "%0A") || strings.Contains(v, "%0D") {
			t.Errorf("a multi-line mask (GitHub would not match it): %.40q...", v)
		}
		masks[strings.NewReplacer("%0A", "\n", "%0D", "\r", "%25", "%").Replace(v)]++
	}
	_, keys := vw.issued(t)
	want := map[string]string{"PKI private key": keys[len(keys)-1], "JWT": vw.jwts[len(vw.jwts)-1]}
	for _, p := range vw.secrets {
		want[p.name] = p.value
	}
	for name, v := range want {
		for i, l := range strings.Split(strings.TrimSpace(v), "\n") {
			if l = strings.TrimSpace(l); len(l) >= 4 && masks[l] != 1 {
				t.Errorf("%s, line %d: %d ::add-mask:: lines, want 1", name, i+1, masks[l])
			}
		}
	}
	t.Logf("%d ::add-mask:: lines", len(masks))
	vw.check(t, w, "github", r, true)
}

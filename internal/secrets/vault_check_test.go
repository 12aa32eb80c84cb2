package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// checkSecrets checks what a bake session hands over.
func checkSecrets(t *testing.T, s *Session) {
	t.Helper()
	for env, want := range map[string]string{"APP_PASSWORD": plantedPassword, "APP_OAUTH": plantedJSON, "LEGACY": plantedLegacy} {
		if got := s.Env[env]; got != want {
			t.Errorf("Env[%s] = %q, want %q", env, got, want)
		}
	}
	if s.TFVars["oauth"] != plantedJSON {
		t.Errorf("TFVars[oauth] = %q", s.TFVars["oauth"])
	}
	if _, ok := s.Env["NOT_IN_BAKE"]; ok {
		t.Error("a promote-only secret reached bake")
	}
	path := s.Env["SSH_KEY_FILE"]
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %s: %v, mode %v; want 0600", path, err, fi)
	}
	if b, _ := os.ReadFile(path); string(b) != plantedKey {
		t.Errorf("secret file holds %q", b)
	}
	if !strings.Contains(s.Env["PKI_PRIVATE_KEY"], "PRIVATE KEY") || s.Env["PKI_CERTIFICATE"] == "" {
		t.Errorf("dynamic PKI fields not mapped: %v", keys(s.Env))
	}
	if len(s.leases) != 1 {
		t.Errorf("leases = %v, want the PKI certificate's", s.leases)
	}
	for _, v := range []string{plantedPassword, plantedJSON, plantedKey, plantedLegacy, s.Env["PKI_PRIVATE_KEY"]} {
		if !slices.Contains(s.Values, v) {
			t.Errorf("Values misses a secret of %d bytes", len(v))
		}
	}
	tok := s.client.api.Token()
	if !slices.Contains(s.Values, tok) {
		t.Error("Values misses kiln's Vault token")
	}
	for k, v := range s.Env {
		if strings.Contains(v, tok) || strings.HasPrefix(k, "VAULT_") {
			t.Errorf("the child env gets kiln's Vault token or a VAULT_ variable (%s)", k)
		}
	}
}

// closeAndCheck closes s and checks that its lease, its files and (when kiln logged in)
// its token are gone, and that the log shows no secret.
func (f *fixture) closeAndCheck(t *testing.T, s *Session, log *bytes.Buffer, own bool) {
	t.Helper()
	f.closeWith(t, context.Background(), s, log, own)
}

func (f *fixture) closeWith(t *testing.T, ctx context.Context, s *Session, log *bytes.Buffer, own bool) {
	t.Helper()
	if s.own != own {
		t.Errorf("own token = %v, want %v", s.own, own)
	}
	leases, dir, values := s.leases, s.dir, s.Values
	for _, id := range leases {
		if !f.srv.LeaseAlive(t, id) || !slices.Contains(f.srv.Leases(t, "pki/issue/kiln/"), id) {
			t.Errorf("lease %s not there before Close", id)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, id := range leases {
		eventually(t, "lease "+id+" revoked", func() bool { return !f.srv.LeaseAlive(t, id) })
	}
	if dir != "" {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("secret directory %s still there: %v", dir, err)
		}
	}
	if own && f.srv.TokenAlive(t, s.Accessor) {
		t.Error("kiln's token still valid after Close")
	}
	for _, v := range values {
		// A value under 4 characters (the PKI's private_key_type "ec") is masked only as a
		// word of its own, and may well occur inside a word (a token accessor) by chance.
		if v = strings.TrimSpace(v); len(v) >= 4 && strings.Contains(log.String(), v) {
			t.Errorf("the log shows a secret of %d bytes:\n%s", len(v), log)
		}
	}
	t.Logf("log:\n%s", log)
	if !strings.Contains(log.String(), "vault: revoked") {
		t.Errorf("log has no revocation line:\n%s", log)
	}
}

// eventually waits for cond: token revocation revokes its leases in the background.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s: not after 100 tries", what)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestVaultSealed(t *testing.T) {
	srv := vaulttest.Start(t)
	srv.KV2(t, "kv", "ci/app", map[string]any{"password": "x"})
	srv.Seal(t)
	for _, auth := range []Auth{{}, {Method: MethodJWT, Role: "r"}} {
		_, err := Open(context.Background(), Options{
			Config: Config{Address: srv.Addr, Auth: auth, Secrets: []Mapping{{Env: "A", Path: "kv/ci/app", Field: "password"}}},
			Getenv: func(k string) string { return map[string]string{"VAULT_TOKEN": "t", "VAULT_ID_TOKEN": "j"}[k] },
		})
		wantErr(t, err, exitcode.VaultUnavailable, "sealed")
	}
}

func TestVaultStopped(t *testing.T) {
	srv := vaulttest.Start(t)
	addr, tok := srv.Addr, srv.Token
	srv.Stop()
	_, err := Open(context.Background(), Options{
		Config: Config{Secrets: []Mapping{{Env: "A", Path: "kv/ci/app", Field: "password"}}},
		Getenv: func(k string) string { return map[string]string{"VAULT_ADDR": addr, "VAULT_TOKEN": tok}[k] },
	})
	wantErr(t, err, exitcode.VaultUnavailable, "unreachable")
	if strings.Contains(err.Error(), tok) {
		t.Error("the error shows the token")
	}
}

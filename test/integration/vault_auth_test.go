package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVaultLogins: the real binaries log in to a real Vault the ways CI systems do. A
// GitLab ID token for the protected master branch reads the secrets; one for an unprotected
// branch is refused with exit 5 naming the auth path and role, never the JWT. A Jenkins
// AppRole (role id from the environment, secret id from a credentials file named relative to
// kiln.yaml, run from another directory) and a pipeline's VAULT_TOKEN work; the token kiln
// logged in for is revoked, the pipeline's own token is not. A sealed Vault, then a stopped
// one, give exit 4.
func TestVaultLogins(t *testing.T) {
	vw := startVault(t)
	w := newVaultWorld(t)
	cfg := filepath.Join(w.dir, "kiln.yaml")

	t.Run("gitlab jwt protected master", func(t *testing.T) {
		r := vw.step(t, w, "validate", nil, 0)
		wantLog(t, r, "with auth/jwt role kiln-ci (token accessor ", "vault: revoked 0 lease(s) and kiln's token")
	})

	t.Run("gitlab jwt unprotected branch", func(t *testing.T) {
		env := vw.env(t, w, map[string]string{})
		env["VAULT_ID_TOKEN"] = vw.jwt(t, "feature-x", false)
		r := runWatched(t, w.dir, "validate", env, nil)
		wantExit(t, r.result, 5, "auth/jwt", "kiln-ci")
		if last := lastLine(r.stderr); !strings.HasPrefix(last, "kiln-validate: error: vault: login with auth/jwt role kiln-ci: ") {
			t.Errorf("last line %q is not kiln's one-line login error", last)
		}
		t.Logf("refused: %s", lastLine(r.stderr))
		vw.search(t, w, "refused login", r, false)
	})

	t.Run("jenkins approle", func(t *testing.T) {
		secretFile := filepath.Join(w.dir, "ci", "secret-id") // what withCredentials(file(...)) writes
		if err := os.MkdirAll(filepath.Dir(secretFile), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(secretFile, []byte(vw.secretID+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(secretFile) // as Jenkins does when withCredentials ends
		writeFile(t, cfg, withAuth(w, "    method: approle\n    secret_id_file: ci/secret-id\n"))
		defer writeFile(t, cfg, w.template)
		elsewhere := filepath.Join(w.dir, "elsewhere")
		if err := os.MkdirAll(elsewhere, 0o755); err != nil {
			t.Fatal(err)
		}
		vw.given = append(vw.given, vw.roleID)
		env := vw.env(t, w, map[string]string{"VAULT_ROLE_ID": vw.roleID})
		delete(env, "VAULT_ID_TOKEN")
		r := runWatched(t, elsewhere, "validate", env, nil, "--config", cfg)
		if r.code != 0 {
			t.Fatalf("approle login: %s", r.result)
		}
		wantLog(t, r, "with auth/approle (token accessor ", "vault: revoked 0 lease(s) and kiln's token")
		vw.search(t, w, "approle", r, false, secretFile)
		vw.checkRevoked(t, "approle", r)
	})

	t.Run("pipeline token", func(t *testing.T) {
		tok := vw.srv.CreateToken(t, "kiln-read", "default")
		vw.given = append(vw.given, tok)
		writeFile(t, cfg, withAuth(w, "    method: token\n"))
		defer writeFile(t, cfg, w.template)
		env := vw.env(t, w, map[string]string{"VAULT_TOKEN": tok})
		delete(env, "VAULT_ID_TOKEN")
		r := runWatched(t, w.dir, "bake", env, nil)
		if r.code != 0 {
			t.Fatalf("token login: %s", r.result)
		}
		wantLog(t, r, "with token from VAULT_TOKEN (token accessor ", "vault: revoked 1 lease(s)\n")
		vw.search(t, w, "token", r, false)
		acc := accessorRE.FindStringSubmatch(r.stderr)
		if acc == nil || !vw.srv.TokenAlive(t, acc[1]) {
			t.Errorf("the pipeline's VAULT_TOKEN was revoked (accessor %v): it is not kiln's", acc)
		}
		waitFor(t, "PKI lease revoked", func() bool { return len(vw.srv.Leases(t, "pki/issue/kiln/")) == 0 })
	})

	t.Run("sealed", func(t *testing.T) {
		vw.srv.Seal(t)
		r := runWatched(t, w.dir, "validate", vw.env(t, w, nil), nil)
		wantExit(t, r.result, 4, "Vault is sealed")
		t.Logf("sealed: %s", lastLine(r.stderr))
		vw.search(t, w, "sealed", r, false)
	})

	t.Run("stopped", func(t *testing.T) {
		vw.srv.Stop()
		r := runWatched(t, w.dir, "validate", vw.env(t, w, nil), nil)
		wantExit(t, r.result, 4, "unreachable")
		t.Logf("stopped: %s", lastLine(r.stderr))
		vw.search(t, w, "stopped", r, false)
	})
}

// wantLog fails t unless kiln's log (stderr) holds every part.
func wantLog(t *testing.T, r watched, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("log lacks %q:\n%s", p, r.stderr)
		}
	}
}

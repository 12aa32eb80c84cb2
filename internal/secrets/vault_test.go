package secrets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// Planted secrets: values of the shapes that leak most easily.
const (
	plantedPassword = `p@ss,$'"\ w0rd`
	plantedJSON     = `{"client_id":"abc-123","client_secret":"s3cr3t/+=="}`
	plantedKey      = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKiln0test0key0material0not0real0xyz\n-----END PRIVATE KEY-----\n"
	plantedLegacy   = "legacy-api-key-0123456789"
	audience        = "https://vault.example.com"
)

const readPolicy = `
path "kv/data/ci/*" { capabilities = ["read"] }
path "kv1/*" { capabilities = ["read"] }
path "pki/issue/kiln" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
`

// fixture is one dev server set up with every engine and auth method the tests use.
type fixture struct {
	srv    *vaulttest.Server
	key    *vaulttest.JWTKey
	roleID string
	secID  string
}

func newFixture(t *testing.T) *fixture {
	srv := vaulttest.Start(t)
	f := &fixture{srv: srv, key: vaulttest.NewJWTKey(t)}
	srv.KV2(t, "kv", "ci/app", map[string]any{"password": plantedPassword, "oauth": plantedJSON, "ssh_key": plantedKey, "user": "deploy"})
	srv.KV2(t, "kv", "other/x", map[string]any{"v": "not for kiln"})
	srv.KV1(t, "kv1", "legacy", map[string]any{"api_key": plantedLegacy})
	srv.PKI(t, "pki", "kiln")
	srv.Policy(t, "kiln-read", readPolicy)
	srv.Policy(t, "kiln-norevoke", strings.ReplaceAll(readPolicy, `"sys/leases/revoke"`, `"sys/nothing"`))
	f.roleID, f.secID = srv.AppRole(t, "approle", "kiln", "kiln-read")
	srv.JWTAuth(t, "jwt", f.key)
	srv.Write(t, "auth/jwt/role/kiln-ci", map[string]any{
		"role_type":       "jwt",
		"user_claim":      "user_email",
		"bound_audiences": []string{audience},
		"bound_claims":    map[string]any{"project_path": "group/app", "ref_protected": "true"},
		"token_policies":  []string{"kiln-read"},
		"token_ttl":       "10m",
	})
	return f
}

// mappings are the secrets of the tests: KV v2 fields (one into a file, one a Terraform
// variable), a KV v1 field, a dynamic PKI certificate with every field mapped.
func mappings() []Mapping {
	return []Mapping{
		{Env: "APP_PASSWORD", Path: "kv/data/ci/app", Field: "password", Steps: []string{"bake"}},
		{Env: "APP_OAUTH", Path: "kv/ci/app", Field: "oauth", TFVar: "oauth", Steps: []string{"bake", "deploy-dev"}},
		{Env: "SSH_KEY_FILE", Path: "kv/data/ci/app", Field: "ssh_key", File: true, Steps: []string{"bake"}},
		{Env: "LEGACY", Path: "kv1/legacy", Field: "api_key", Engine: EngineKV1, Steps: []string{"bake"}},
		{Path: "pki/issue/kiln", EnvPrefix: "PKI_", Engine: EngineDynamic, Steps: []string{"bake"},
			Params: map[string]string{"common_name": "build.example.com", "ttl": "5m"}},
		{Env: "NOT_IN_BAKE", Path: "kv/data/other/x", Field: "v", Steps: []string{"promote"}},
	}
}

func (f *fixture) options(t *testing.T, auth Auth, env map[string]string) (Options, *bytes.Buffer) {
	var log bytes.Buffer
	return Options{
		Config:  Config{Address: f.srv.Addr, Auth: auth, Secrets: mappings()},
		Step:    "bake",
		Getenv:  func(k string) string { return env[k] },
		TempDir: t.TempDir(),
		Log:     &log,
	}, &log
}

func (f *fixture) gitlabJWT(t *testing.T, ref string, protected bool) string {
	return f.key.Sign(t, vaulttest.GitLabClaims("group/app", ref, protected, audience, time.Now()))
}

func TestVaultLogins(t *testing.T) {
	f := newFixture(t)
	t.Run("token", func(t *testing.T) {
		tok := f.srv.CreateToken(t, "kiln-read", "default")
		o, log := f.options(t, Auth{}, map[string]string{"VAULT_TOKEN": tok})
		s := openOK(t, o)
		checkSecrets(t, s)
		f.closeAndCheck(t, s, log, false)
		if acc := s.Accessor; !f.srv.TokenAlive(t, acc) {
			t.Error("the user's VAULT_TOKEN was revoked; it belongs to the pipeline")
		}
	})
	t.Run("approle secret id from file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "secret-id")
		if err := os.WriteFile(file, []byte(f.secID+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		o, log := f.options(t, Auth{Method: MethodAppRole, Role: "kiln", SecretIDFile: file},
			map[string]string{"VAULT_ROLE_ID": f.roleID})
		s := openOK(t, o)
		checkSecrets(t, s)
		f.closeAndCheck(t, s, log, true)
	})
	t.Run("jwt gitlab protected master", func(t *testing.T) {
		o, log := f.options(t, Auth{Method: MethodJWT, Role: "kiln-ci"},
			map[string]string{"VAULT_ID_TOKEN": f.gitlabJWT(t, "master", true)})
		s := openOK(t, o)
		checkSecrets(t, s)
		f.closeAndCheck(t, s, log, true)
	})
	t.Run("jwt gitlab unprotected branch refused", func(t *testing.T) {
		jwt := f.gitlabJWT(t, "feature-x", false)
		o, _ := f.options(t, Auth{Method: MethodJWT, Role: "kiln-ci", TokenEnv: "CI_JOB_JWT_V2"},
			map[string]string{"CI_JOB_JWT_V2": jwt})
		_, err := Open(context.Background(), o)
		wantErr(t, err, exitcode.VaultDenied, "auth/jwt role kiln-ci")
		if strings.Contains(err.Error(), jwt) {
			t.Error("the error shows the JWT")
		}
	})
	t.Run("github oidc", func(t *testing.T) {
		var asked string
		o, log := f.options(t, Auth{Method: MethodGitHub, Role: "kiln-ci", Audience: audience}, nil)
		o.GitHubIDToken = func(_ context.Context, aud string) (string, error) {
			asked = aud
			return f.gitlabJWT(t, "master", true), nil // same issuer key: the claims are what the role checks
		}
		s := openOK(t, o)
		if asked != audience {
			t.Errorf("GitHubIDToken asked for audience %q, want %q", asked, audience)
		}
		f.closeAndCheck(t, s, log, true)
	})
	t.Run("jwt file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(f.gitlabJWT(t, "master", true)), 0o600); err != nil {
			t.Fatal(err)
		}
		o, log := f.options(t, Auth{Method: MethodJWTFile, Role: "kiln-ci", JWTFile: file}, nil)
		f.closeAndCheck(t, openOK(t, o), log, true)
	})
}

func TestVaultRevocation(t *testing.T) {
	f := newFixture(t)
	t.Run("leases go with the token without sys/leases/revoke", func(t *testing.T) {
		rid, sid := f.srv.AppRole(t, "approle", "norevoke", "kiln-norevoke")
		o, log := f.options(t, Auth{Method: MethodAppRole}, map[string]string{"VAULT_ROLE_ID": rid, "VAULT_SECRET_ID": sid})
		f.closeAndCheck(t, openOK(t, o), log, true)
	})
	t.Run("close after cancel", func(t *testing.T) {
		o, log := f.options(t, Auth{Method: MethodJWT, Role: "kiln-ci"},
			map[string]string{"VAULT_ID_TOKEN": f.gitlabJWT(t, "master", true)})
		ctx, cancel := context.WithCancel(context.Background())
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		f.closeWith(t, ctx, s, log, true)
	})
	t.Run("failure after a lease revokes it", failureAfterLease(f))
}

func TestVaultRefusals(t *testing.T) {
	f := newFixture(t)
	t.Run("permission denied path", func(t *testing.T) {
		tok := f.srv.CreateToken(t, "kiln-read", "default")
		o, _ := f.options(t, Auth{}, map[string]string{"VAULT_TOKEN": tok})
		o.Step = "promote"
		_, err := Open(context.Background(), o)
		wantErr(t, err, exitcode.VaultDenied, "kv/data/other/x")
		if strings.Contains(err.Error(), tok) {
			t.Error("the error shows the token")
		}
	})
	t.Run("invalid token", func(t *testing.T) {
		o, _ := f.options(t, Auth{}, map[string]string{"VAULT_TOKEN": "hvs.not-a-token"})
		_, err := Open(context.Background(), o)
		wantErr(t, err, exitcode.VaultDenied, "token from VAULT_TOKEN")
	})
	t.Run("missing field", func(t *testing.T) {
		tok := f.srv.CreateToken(t, "kiln-read")
		o, _ := f.options(t, Auth{}, map[string]string{"VAULT_TOKEN": tok})
		o.Config.Secrets = []Mapping{{Env: "X", Path: "kv/ci/app", Field: "nope"}}
		_, err := Open(context.Background(), o)
		wantErr(t, err, exitcode.Usage, `no field "nope"`)
	})
}

func openOK(t *testing.T, o Options) *Session {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func wantErr(t *testing.T, err error, code int, text string) {
	t.Helper()
	t.Logf("exit %d: %v", exitcode.Of(err), err)
	if exitcode.Of(err) != code || !strings.Contains(err.Error(), text) {
		t.Fatalf("err = %v (exit %d), want exit %d naming %q", err, exitcode.Of(err), code, text)
	}
}

// failureAfterLease checks that an Open failing after a dynamic secret revokes its lease
// and kiln's token.
func failureAfterLease(f *fixture) func(*testing.T) {
	return func(t *testing.T) {
		o, log := f.options(t, Auth{Method: MethodJWT, Role: "kiln-ci"},
			map[string]string{"VAULT_ID_TOKEN": f.gitlabJWT(t, "master", true)})
		o.Config.Secrets = []Mapping{mappings()[4], {Env: "X", Path: "kv/other/x", Field: "v"}}
		_, err := Open(context.Background(), o)
		wantErr(t, err, exitcode.VaultDenied, "read kv/data/other/x (as auth/jwt role kiln-ci)")
		eventually(t, "no PKI lease left", func() bool { return len(f.srv.Leases(t, "pki/issue/kiln/")) == 0 })
		_, acc, _ := strings.Cut(log.String(), "token accessor ")
		acc, _, _ = strings.Cut(acc, ")")
		if acc == "" || f.srv.TokenAlive(t, acc) {
			t.Errorf("kiln's token (accessor %q) survived a failed Open:\n%s", acc, log)
		}
	}
}

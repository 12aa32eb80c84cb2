package secrets

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestKV2Path(t *testing.T) {
	tests := []struct{ in, want string }{
		{"kv/data/ci/aws", "kv/data/ci/aws"},
		{"kv/ci/aws", "kv/data/ci/aws"},
		{"/secret/app/", "secret/data/app"},
		{"secret/data", "secret/data/data"},
	}
	for _, tt := range tests {
		if got := kv2Path(tt.in); got != tt.want {
			t.Errorf("kv2Path(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvNameAndStringify(t *testing.T) {
	if got := envName("DB_", "user-name.1"); got != "DB_USER_NAME_1" {
		t.Errorf("envName = %q", got)
	}
	tests := []struct {
		in   any
		want string
	}{
		{"s", "s"}, {json.Number("42"), "42"}, {true, "true"}, {nil, ""},
		{[]any{"a", "b"}, `["a","b"]`}, {map[string]any{"k": "v"}, `{"k":"v"}`},
	}
	for _, tt := range tests {
		if got := stringify(tt.in); got != tt.want {
			t.Errorf("stringify(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSelected(t *testing.T) {
	ms := []Mapping{
		{Env: "A", Steps: []string{"bake"}},
		{Env: "B", Steps: []string{"deploy-dev", "promote"}},
		{Env: "C"},
	}
	var got []string
	for _, m := range selected(ms, "bake") {
		got = append(got, m.Env+":"+m.Engine)
	}
	if want := []string{"A:kv2", "C:kv2"}; !slices.Equal(got, want) {
		t.Errorf("selected = %v, want %v", got, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		m    []Mapping
		want string // "" for no error
	}{
		{"ok", []Mapping{{Env: "A", Path: "kv/a", Field: "f", Engine: EngineKV2}}, ""},
		{"engine", []Mapping{{Env: "A", Path: "kv/a", Field: "f", Engine: "kv3"}}, "unknown engine"},
		{"no field", []Mapping{{Env: "A", Path: "kv/a", Engine: EngineKV2}}, "needs a field"},
		{"no target", []Mapping{{Path: "kv/a", Field: "f", Engine: EngineKV2}}, "needs an env or a tf_var"},
		{"file without dir", []Mapping{{Env: "A", Path: "kv/a", Field: "f", File: true, Engine: EngineKV2}}, "temp directory"},
		{"kv2 mount only", []Mapping{{Env: "A", Path: "kv", Field: "f", Engine: EngineKV2}}, "KV v2 path"},
		{"params on kv", []Mapping{{Env: "A", Path: "kv/a", Field: "f", Engine: EngineKV1, Params: map[string]string{"x": "y"}}}, "params"},
		{"prefix only", []Mapping{{EnvPrefix: "AWS_", Path: "aws/creds/ci", Engine: EngineDynamic}}, ""},
		{"duplicate env", []Mapping{
			{Env: "A", Path: "kv/a", Field: "f", Engine: EngineKV2},
			{Env: "A", Path: "kv/b", Field: "f", Engine: EngineKV2},
		}, "set by another"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(tt.m, "")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || exitcode.Of(err) != exitcode.Usage {
				t.Fatalf("check = %v (code %d), want a usage error with %q", err, exitcode.Of(err), tt.want)
			}
		})
	}
}

func TestUnsetNames(t *testing.T) {
	tests := []struct {
		auth Auth
		want []string
	}{
		{Auth{}, []string{"VAULT_TOKEN"}},
		{Auth{Method: MethodJWT}, []string{"VAULT_TOKEN", "VAULT_ID_TOKEN"}},
		{Auth{Method: MethodJWT, TokenEnv: "CI_JWT"}, []string{"VAULT_TOKEN", "CI_JWT"}},
		{Auth{Method: MethodAppRole}, []string{"VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID"}},
		{Auth{Method: MethodGitHub}, []string{"VAULT_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"}},
	}
	for _, tt := range tests {
		if got := unsetNames(withDefaults(tt.auth)); !slices.Equal(got, tt.want) {
			t.Errorf("unsetNames(%+v) = %v, want %v", tt.auth, got, tt.want)
		}
	}
}

func TestCodeFor(t *testing.T) {
	tests := []struct {
		kind   opKind
		status int
		want   int
	}{
		{opLogin, 400, exitcode.VaultDenied},
		{opLogin, 403, exitcode.VaultDenied},
		{opRead, 403, exitcode.VaultDenied},
		{opRead, 401, exitcode.VaultDenied},
		{opRead, 400, exitcode.Usage},
		{opRead, 404, exitcode.Usage},
		{opRead, 503, exitcode.VaultUnavailable},
		{opRead, 500, exitcode.VaultUnavailable},
		{opRead, 429, exitcode.VaultUnavailable},
		{opRead, 412, exitcode.VaultUnavailable},
		{opRead, 418, exitcode.Failed},
	}
	for _, tt := range tests {
		if got := codeFor(tt.kind, tt.status); got != tt.want {
			t.Errorf("codeFor(%v, %d) = %d, want %d", tt.kind, tt.status, got, tt.want)
		}
	}
}

func TestNoMappingForStepSkipsVault(t *testing.T) {
	s, err := Open(context.Background(), Options{
		Config: Config{Address: "http://127.0.0.1:1", Secrets: []Mapping{{Env: "A", Path: "kv/a", Field: "f", Steps: []string{"bake"}}}},
		Step:   "deploy-dev",
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if len(s.Env) != 0 || s.client != nil {
		t.Errorf("session for a step without secrets: %+v", s)
	}
	if !slices.Contains(s.Unset, "VAULT_TOKEN") {
		t.Errorf("Unset = %v, want VAULT_TOKEN", s.Unset)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestMissingCredential(t *testing.T) {
	for _, auth := range []Auth{{}, {Method: MethodJWT, Role: "ci"}, {Method: MethodAppRole}} {
		_, err := Open(context.Background(), fakeOptions("http://127.0.0.1:1", auth, nil))
		if exitcode.Of(err) != exitcode.VaultDenied || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("%s: err = %v (code %d), want exit 5 naming the empty variable", auth.Method, err, exitcode.Of(err))
		}
	}
}

// fakeVault answers every request with status and body, counting requests.
func fakeVault(t *testing.T, status int, body string, hits *atomic.Int32) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func fakeOptions(addr string, auth Auth, env map[string]string) Options {
	return Options{
		Config: Config{Address: addr, Auth: auth, Secrets: []Mapping{{Env: "A", Path: "kv/a", Field: "f"}}},
		Step:   "bake",
		Getenv: func(k string) string { return env[k] },
	}
}

func TestErrorsFromVault(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		code     int
		requests int32 // a retried request is sent 1+maxRetries times
		want     string
	}{
		{"sealed", 503, `{"errors":["Vault is sealed"]}`, exitcode.VaultUnavailable, 1, "Vault is sealed"},
		{"denied", 403, `{"errors":["1 error occurred:\n\t* permission denied\n\n"]}`, exitcode.VaultDenied, 2, "read kv/data/a (as token from VAULT_TOKEN): permission denied; the token"},
		{"overloaded", 429, `{"errors":["rate limited"]}`, exitcode.VaultUnavailable, 1 + maxRetries, "rate limited"},
		{"bad gateway", 502, `<html>bad gateway</html>`, exitcode.VaultUnavailable, 1 + maxRetries, "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			addr := fakeVault(t, tt.status, tt.body, &hits)
			_, err := Open(context.Background(), fakeOptions(addr, Auth{}, map[string]string{"VAULT_TOKEN": "hvs.topsecret"}))
			if exitcode.Of(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (code %d), want code %d with %q", err, exitcode.Of(err), tt.code, tt.want)
			}
			if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error shows the token or spans lines: %q", err)
			}
			if got := hits.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL // a closed server's port refuses connections
	srv.Close()
	_, err := Open(context.Background(), fakeOptions(closed, Auth{}, map[string]string{"VAULT_TOKEN": "hvs.x"}))
	if exitcode.Of(err) != exitcode.VaultUnavailable || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("err = %v (code %d), want exit 4", err, exitcode.Of(err))
	}
}

func TestCancelledOpenIsNotVaultError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, fakeOptions(closed, Auth{}, map[string]string{"VAULT_TOKEN": "hvs.x"}))
	if err == nil || exitcode.Of(err) != exitcode.Failed || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v (code %d), want the cancellation", err, exitcode.Of(err))
	}
}

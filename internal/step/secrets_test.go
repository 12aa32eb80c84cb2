package step

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVaultCredentialsUnset: once the secrets are fetched, the variables holding kiln's
// Vault credentials are gone from the process environment (so a child started without
// ChildEnviron cannot inherit them) and from ChildEnviron.
func TestVaultCredentialsUnset(t *testing.T) {
	tests := []struct {
		name, auth string
		want       []string
	}{
		{"token", "{method: token}", []string{"VAULT_TOKEN"}},
		{"jwt", "{method: jwt, role: ci}", []string{"VAULT_TOKEN", "VAULT_ID_TOKEN"}},
		{"approle", "{method: approle}", []string{"VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The mapping is for bake, not for the fake step: Vault is not contacted.
			dir := workdir(t, minimalConfig+"vault:\n  address: http://127.0.0.1:1\n  auth: "+tt.auth+
				"\n  secrets:\n    - {env: X, path: kv/data/x, field: y, steps: [bake]}\n")
			vars := map[string]string{"VAULT_TOKEN": "t", "VAULT_ID_TOKEN": "j", "VAULT_ROLE_ID": "r",
				"VAULT_SECRET_ID": "s", "OTHER": "kept"}
			var unset []string
			var child []string
			s := fakeStep{run: func(_ context.Context, r *Run) error {
				child = r.ChildEnviron()
				return nil
			}}
			var stdout, stderr bytes.Buffer
			env := MapEnv(vars, dir, &stdout, &stderr, func() time.Time { return t0 })
			env.Unsetenv = func(k string) error { unset = append(unset, k); return nil }
			if code := Execute(context.Background(), env, s, nil); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			slices.Sort(unset)
			slices.Sort(tt.want)
			if !slices.Equal(unset, tt.want) {
				t.Errorf("unset %v, want %v", unset, tt.want)
			}
			for _, kv := range child {
				k, _, _ := strings.Cut(kv, "=")
				if slices.Contains(tt.want, k) {
					t.Errorf("ChildEnviron has %s", k)
				}
			}
			if !slices.Contains(child, "OTHER=kept") {
				t.Errorf("ChildEnviron lost OTHER: %v", child)
			}
		})
	}
}

// TestVaultRoleFromEnvironment: kiln.yaml may leave vault.auth.role to KILN_VAULT_ROLE (the
// CI templates' vault-role input); with neither, the step stops with one line before it
// contacts Vault.
func TestVaultRoleFromEnvironment(t *testing.T) {
	dir := workdir(t, minimalConfig+"vault:\n  address: http://127.0.0.1:1\n  auth: {method: jwt}\n"+
		"  secrets:\n    - {env: X, path: kv/data/x, field: y, steps: [bake]}\n")
	for _, tc := range []struct {
		name string
		vars map[string]string
		code int
		want string
	}{
		{"no role", map[string]string{"VAULT_ID_TOKEN": "j"}, 2, "vault.auth.role is not set: name the Vault role in kiln.yaml or in KILN_VAULT_ROLE"},
		{"role from the environment", map[string]string{"VAULT_ID_TOKEN": "j", "KILN_VAULT_ROLE": "kiln-ci"}, 4, "auth/jwt role kiln-ci"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, context.Background(), dir, tc.vars, namedStep{name: "bake"})
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

// namedStep is fakeStep under another step's name, for what kiln.yaml maps to that step.
type namedStep struct {
	fakeStep
	name string
}

func (s namedStep) Name() string { return s.name }

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

package planfile

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// TestTransit seals with a fresh data key wrapped by a real Vault dev server's transit key:
// it opens with that key only; another transit key, a local key, an altered wrapped key and
// a token without decrypt permission all fail, the last with Vault's own error.
func TestTransit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Vault server")
	}
	srv := vaulttest.Start(t)
	srv.EnableSecrets(t, "transit", "transit", nil)
	srv.EnableSecrets(t, "ci/transit", "transit", nil)
	srv.Write(t, "transit/keys/kiln-plan", map[string]any{})
	srv.Write(t, "transit/keys/other", map[string]any{})
	srv.Write(t, "ci/transit/keys/kiln-plan", map[string]any{"type": "chacha20-poly1305"})
	ctx := context.Background()
	c := srv.Client(t)
	k := Transit(c, "", "kiln-plan")
	sealed, err := Seal(ctx, k, sample())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hunter2")) || !bytes.Contains(sealed, []byte("transit/kiln-plan\nvault:v1:")) {
		t.Fatalf("sealed header: %q", sealed[:80])
	}
	got, err := Open(ctx, Transit(c, "transit/", "kiln-plan"), sealed)
	if err != nil || got.ImageID != sample().ImageID || !bytes.Equal(got.Plan, sample().Plan) {
		t.Fatalf("Open: %+v, %v", got, err)
	}
	other, _ := newKey(t)
	// The wrapped key, with its version prefix kept, decrypts to something else entirely.
	i := bytes.Index(sealed, []byte("vault:v1:")) + len("vault:v1:") + 4
	altered := bytes.Clone(sealed)
	altered[i] ^= 0x02
	for _, tc := range []struct {
		name string
		key  Key
		data []byte
		want error
	}{
		{"other transit key", Transit(c, "transit", "other"), sealed, ErrOtherKey},
		{"other mount", Transit(c, "ci/transit", "kiln-plan"), sealed, ErrOtherKey},
		{"local key", other, sealed, ErrOtherKey},
		{"altered wrapped key", k, altered, ErrAltered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(ctx, tc.key, tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
		})
	}
	// A chacha20-poly1305 key under another mount works the same.
	ck := Transit(c, "ci/transit", "kiln-plan")
	if s, err := Seal(ctx, ck, sample()); err != nil {
		t.Fatal(err)
	} else if _, err := Open(ctx, ck, s); err != nil {
		t.Fatal(err)
	}
	// A token that may encrypt but not decrypt: Vault's refusal, not a reason about the plan.
	srv.Policy(t, "seal-only", `path "transit/encrypt/kiln-plan" { capabilities = ["update"] }`)
	limited := srv.Client(t)
	limited.SetToken(srv.CreateToken(t, "seal-only"))
	lk := Transit(limited, "transit", "kiln-plan")
	if _, err := Seal(ctx, lk, sample()); err != nil {
		t.Fatalf("seal with an encrypt-only token: %v", err)
	}
	_, err = Open(ctx, lk, sealed)
	if err == nil || errors.Is(err, ErrAltered) || errors.Is(err, ErrOtherKey) || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("decrypt without permission: %v", err)
	}
}

package attest_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// startTransit starts a Vault dev server with transit mounted at "transit" and an
// ed25519, an ecdsa-p256 and an ecdsa-p384 key.
func startTransit(t *testing.T) *vaulttest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("Vault transit tests start a Vault server")
	}
	srv := vaulttest.Start(t)
	srv.EnableSecrets(t, "transit", "transit", nil)
	srv.Write(t, "transit/keys/ed", map[string]any{"type": "ed25519"})
	srv.Write(t, "transit/keys/p256", map[string]any{"type": "ecdsa-p256"})
	srv.Write(t, "transit/keys/p384", map[string]any{"type": "ecdsa-p384"})
	return srv
}

func TestTransitSignVerify(t *testing.T) {
	srv := startTransit(t)
	ctx := context.Background()
	_, stranger := loadPair(t, "ed25519")
	for _, tt := range []struct{ name, mount, key string }{
		{"ed25519", "", "ed"},
		{"ecdsa-p256", "transit/", "p256"},
		{"ecdsa-p384", "transit", "p384"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := attest.Transit(srv.Client(t), tt.mount, tt.key)
			env, err := attest.Sign(ctx, k, predicate("us-east-1:ami-0abc"))
			if err != nil {
				t.Fatal(err)
			}
			pemBytes, err := attest.TransitPublicKeyPEM(ctx, srv.Client(t), tt.mount, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := attest.ParsePublicKey(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := attest.LoadPublicKey(writeFile(t, t.TempDir(), "transit.pub", string(pemBytes)))
			if err != nil {
				t.Fatal(err)
			}
			kid, _ := k.KeyID()
			pid, _ := parsed.KeyID()
			if env.Signatures[0].KeyID != kid || kid != pid {
				t.Fatalf("keyids: envelope %q, transit %q, PEM %q", env.Signatures[0].KeyID, kid, pid)
			}
			for name, v := range map[string]attest.Verifier{"transit": k, "parsed PEM": parsed, "loaded PEM": loaded} {
				if p, err := attest.Verify(ctx, env, v); err != nil || p.ImageID != "us-east-1:ami-0abc" {
					t.Errorf("verify with %s: %+v, %v", name, p, err)
				}
			}

			bad := *env
			sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			sig[len(sig)/2] ^= 1
			bad.Signatures = []attest.Signature{{KeyID: kid, Sig: base64.StdEncoding.EncodeToString(sig)}}
			_, err = attest.Verify(ctx, &bad, k)
			checkMessage(t, err, "verify with transit/verify/"+tt.key, env.Signatures[0].Sig, bad.Signatures[0].Sig)
			_, err = attest.Verify(ctx, env, stranger)
			checkMessage(t, err, "not by a trusted key")

			local, _ := loadPair(t, "ed25519")
			other, err := attest.Sign(ctx, local, predicate("us-east-1:ami-0abc"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = attest.Verify(ctx, other, k)
			checkMessage(t, err, "not by a trusted key")
		})
	}
}

func TestTransitRotation(t *testing.T) {
	srv := startTransit(t)
	ctx := context.Background()
	c := srv.Client(t)
	v1, err := attest.Sign(ctx, attest.Transit(c, "", "ed"), predicate(localID))
	if err != nil {
		t.Fatal(err)
	}
	srv.Write(t, "transit/keys/ed/rotate", nil)
	latest := attest.Transit(c, "", "ed")
	v2, err := attest.Sign(ctx, latest, predicate(localID))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Signatures[0].KeyID == v2.Signatures[0].KeyID {
		t.Fatal("both versions have the same keyid")
	}
	if _, err := attest.Verify(ctx, v2, latest); err != nil {
		t.Fatal(err)
	}
	_, err = attest.Verify(ctx, v1, latest)
	checkMessage(t, err, "not by a trusted key")
	if _, err := attest.Verify(ctx, v1, latest, latest.AtVersion(1)); err != nil {
		t.Fatalf("version 1: %v", err)
	}
}

func TestTransitRefuses(t *testing.T) {
	srv := startTransit(t)
	ctx := context.Background()
	srv.Write(t, "transit/keys/rsa", map[string]any{"type": "rsa-2048"})
	srv.Policy(t, "verify-only", `
path "transit/keys/*" { capabilities = ["read"] }
path "transit/verify/*" { capabilities = ["update"] }
`)
	verifyOnly := srv.Client(t)
	verifyOnly.SetToken(srv.CreateToken(t, "verify-only"))
	noRead := srv.Client(t)
	noRead.SetToken(srv.CreateToken(t, "default"))
	signed, err := attest.Sign(ctx, attest.Transit(srv.Client(t), "", "ed"), predicate(localID))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		key  *attest.TransitKey
		want string
	}{
		{"token without transit/sign", attest.Transit(verifyOnly, "", "ed"), "sign with transit/sign/ed: permission denied (HTTP 403)"},
		{"token without transit/keys", attest.Transit(noRead, "", "ed"), "read transit/keys/ed: permission denied (HTTP 403)"},
		{"no such key", attest.Transit(srv.Client(t), "", "nope"), `read transit/keys/nope: not found (no key "nope" in a transit engine at transit/)`},
		{"no such mount", attest.Transit(srv.Client(t), "signing", "ed"), `read signing/keys/ed: not found (no key "ed" in a transit engine at signing/)`},
		{"RSA key", attest.Transit(srv.Client(t), "", "rsa"), `read transit/keys/rsa: key type "rsa-2048" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := attest.Sign(ctx, tt.key, predicate(localID))
			checkMessage(t, err, "sign attestation for "+localID+": "+tt.want, srv.Token)
		})
	}

	// The verify-only token verifies.
	if _, err := attest.Verify(ctx, signed, attest.Transit(verifyOnly, "", "ed")); err != nil {
		t.Fatal(err)
	}
	_, err = attest.TransitPublicKeyPEM(ctx, noRead, "transit", "ed")
	checkMessage(t, err, "read transit/keys/ed: permission denied (HTTP 403)")
	_, err = attest.Verify(ctx, signed, attest.Transit(noRead, "", "ed"))
	checkMessage(t, err, "verify attestation: verification key 1: read transit/keys/ed: permission denied")
	// A key Vault refuses does not stop another from verifying.
	pemBytes, err := attest.TransitPublicKeyPEM(ctx, srv.Client(t), "", "ed")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := attest.ParsePublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Verify(ctx, signed, attest.Transit(noRead, "", "ed"), pub); err != nil {
		t.Fatal(err)
	}
}

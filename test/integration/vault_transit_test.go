package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/record"
)

// TestTransitAttestation: kiln-test signs its attestation with a Vault transit key through
// the job's JWT login, and only the role of the protected master branch may sign; kiln-promote
// on stable verifies through Vault (and, with attest.public_key, without it). A test job
// logged in with a role that may not sign records nothing, and promotion is refused.
func TestTransitAttestation(t *testing.T) {
	vw := startVault(t)
	srv := vw.srv
	srv.EnableSecrets(t, "transit", "transit", nil)
	srv.Write(t, "transit/keys/kiln-test", map[string]any{"type": "ed25519"})
	srv.Policy(t, "kiln-signer", `path "transit/sign/kiln-test" { capabilities = ["update"] }
path "transit/keys/kiln-test" { capabilities = ["read"] }`)
	srv.Policy(t, "kiln-verifier", `path "transit/verify/kiln-test" { capabilities = ["update"] }
path "transit/keys/kiln-test" { capabilities = ["read"] }`)
	for role, ref := range map[string]string{"kiln-test-signer": "master", "kiln-promoter": "stable"} {
		policy := map[string]string{"master": "kiln-signer", "stable": "kiln-verifier"}[ref]
		srv.Write(t, "auth/jwt/role/"+role, map[string]any{
			"role_type":       "jwt",
			"user_claim":      "user_email",
			"bound_audiences": []string{jwtAudience},
			"bound_claims":    map[string]any{"project_path": gitlabProject, "ref": ref, "ref_protected": "true"},
			"token_policies":  []string{"kiln-read", policy},
			"token_ttl":       "10m",
		})
	}
	w := newVaultWorld(t)
	w.template += "attest:\n  transit: { key: kiln-test }\n"
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), w.template)
	step := func(name, role, ref string, args ...string) result {
		t.Helper()
		env := vw.env(t, w, map[string]string{"KILN_VAULT_ROLE": role})
		env["VAULT_ID_TOKEN"] = vw.jwt(t, ref, true)
		return kiln(t, w.dir, name, env, args...)
	}
	for _, st := range []string{"bake", "deploy-dev"} {
		if r := step(st, "kiln-ci", "master"); r.code != 0 {
			t.Fatalf("kiln-%s: %s", st, r)
		}
	}

	// The generic role may read secrets but not sign: kiln-test fails, nothing recorded.
	r := step("test", "kiln-ci", "master")
	wantExit(t, r, 5, "transit/keys/kiln-test", "permission denied")
	if strings.Contains(readFile(t, filepath.Join(w.dir, "kiln-image.json")), `"tests"`) {
		t.Fatal("a test job that could not sign recorded tests")
	}
	// A stable pipeline cannot log in as the signer.
	wantExit(t, step("test", "kiln-test-signer", "stable"), 5, "kiln-test-signer")

	if r := step("test", "kiln-test-signer", "master"); r.code != 0 {
		t.Fatalf("kiln-test with the signer role: %s", r)
	}
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Tests.Attestation == nil || len(rec.Tests.Attestation.Signatures) != 1 {
		t.Fatalf("the record carries no transit signature: %+v", rec.Tests)
	}

	// Verified through Vault by the promoter role; the verifier role cannot sign, so a
	// stable job could not have forged the record it promotes.
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	if r := step("promote", "kiln-promoter", "stable", "--dry-run"); r.code != 0 {
		t.Fatalf("kiln-promote --dry-run verifying through transit: %s", r)
	}
	// Verified offline with the exported public key.
	pem, err := attest.TransitPublicKeyPEM(context.Background(), srv.Client(t), "transit", "kiln-test")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.dir, "keys", "kiln-test.pub"), string(pem))
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "  transit: { key: kiln-test }\n",
		"  transit: { key: kiln-test }\n  public_key: keys/kiln-test.pub\n", 1))
	writeFile(t, filepath.Join(w.dir, "kiln-image.json"), tested)
	if r := step("promote", "kiln-ci", "stable"); r.code != 0 {
		t.Fatalf("kiln-promote verifying with the exported public key: %s", r)
	}
	if got := w.state(t, "prod")["terraform_data.vm"]; got != rec.Image.ID {
		t.Fatalf("prod runs %q, want %q", got, rec.Image.ID)
	}
}

package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// TestRevoke: two images promoted in turn, the second revoked. kiln-revoke names the
// environments that still run it and how to move them off it; kiln-deploy-dev, kiln-promote
// and kiln-rollback --to refuse it (exit 8, naming the reason); kiln-rollback's default target
// skips it; revoking the family's only usable image is refused unless --force; a revocation
// scheduled for later refuses nothing yet.
func TestRevoke(t *testing.T) {
	w := newWorld(t)
	first, second := promoteTwo(t, w)
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: time.Now}
	env := map[string]string{"KILN_SOURCE_SHA": strings.Repeat("b", 40), "GITLAB_USER_LOGIN": ""}

	wantExit(t, kiln(t, w.dir, "revoke", env), 2, "--reason (or KILN_REVOKE_REASON) is required")

	r := must(t, w.dir, "revoke", env, "--reason", "CVE-2026-1234 in openssl")
	for _, want := range []string{
		"revoked " + second + " (",
		": CVE-2026-1234 in openssl",
		"environment dev still runs it (terraform_data.vm): kiln-deploy-dev --environment dev with another image",
		"environment prod still runs it (terraform_data.vm): kiln-rollback --to " + first,
		"it is family demo-web's current image",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("kiln-revoke output lacks %q:\n%s", want, r)
		}
	}
	img, err := reg.Lookup(t.Context(), second)
	if err != nil {
		t.Fatal(err)
	}
	if rv, ok := registry.Revoked(img, time.Now()); !ok || rv.Reason != "CVE-2026-1234 in openssl" {
		t.Fatalf("the registry's metadata: %v", img.Labels)
	}

	wantExit(t, kiln(t, w.dir, "deploy-dev", env), 8, "deploy refused: image "+second+" is revoked", "CVE-2026-1234 in openssl")
	r = must(t, w.dir, "rollback", env)
	if !strings.Contains(r.stdout, "back from "+second+" to "+first) {
		t.Fatalf("rollback: %s", r)
	}
	wantExit(t, kiln(t, w.dir, "rollback", env, "--to", second), 8, "rollback refused: image "+second+" is revoked")
	// The record's image is revoked: promoting it again is refused.
	wantExit(t, kiln(t, w.dir, "promote", env), 8, "is revoked")

	// The first image is now current, with nothing left to roll back to.
	wantExit(t, kiln(t, w.dir, "revoke", env, "--image", first, "--reason", "also bad"), 8, "no earlier promoted image that is not revoked")
	must(t, w.dir, "revoke", env, "--image", first, "--reason", "also bad", "--force")
	wantExit(t, kiln(t, w.dir, "rollback", env), 8, "no earlier promoted image that is not revoked")

	// A new image, revoked from tomorrow: still deployable today.
	env["KILN_SOURCE_SHA"] = strings.Repeat("c", 40)
	must(t, w.dir, "bake", env)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
	r = must(t, w.dir, "revoke", env, "--reason", "end of support", "--at", tomorrow)
	if !strings.Contains(r.stdout, "from "+tomorrow) {
		t.Errorf("scheduled revocation: %s", r)
	}
	must(t, w.dir, "deploy-dev", env)
	wantExit(t, kiln(t, w.dir, "revoke", env, "--reason", "x", "--at", "next week"), 2, "neither an RFC 3339 time")
}

// TestRevokeAgain: revoking a revoked image again never lifts or postpones it: the first
// revocation stands, and the image stays refused.
func TestRevokeAgain(t *testing.T) {
	w := newWorld(t)
	must(t, w.dir, "bake", nil)
	must(t, w.dir, "revoke", nil, "--reason", "CVE-1")
	r := must(t, w.dir, "revoke", nil, "--reason", "never mind", "--at", "2099-01-01")
	if !strings.Contains(r.stdout, "that revocation stands") || !strings.Contains(r.stdout, ": CVE-1") {
		t.Fatalf("revoking again: %s", r)
	}
	wantExit(t, kiln(t, w.dir, "deploy-dev", nil), 8, "CVE-1")
}

package attest_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/attest/attesttest"
)

func TestLoadPrivateKeyErrors(t *testing.T) {
	dir := t.TempDir()
	rsaPriv, _ := keyFiles(t, "rsa")
	p521, _ := keyFiles(t, "p521")
	_, edPub := keyFiles(t, "ed25519")
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.pem"), "no such file or directory"},
		{"not PEM", writeFile(t, dir, "junk.pem", "not a key at all: s3cr3t"), "no PEM block"},
		{"RSA PKCS#8", rsaPriv, "RSA keys are not supported"},
		{"RSA PKCS#1", writePEM(t, dir, "rsa1.pem", "RSA PRIVATE KEY", []byte("s3cr3t")), "RSA keys are not supported"},
		{"P-521", p521, "ECDSA curve P-521 is not supported"},
		{"public key", edPub, "holds a public key, not a private key"},
		{"encrypted", writePEM(t, dir, "enc.pem", "ENCRYPTED PRIVATE KEY", []byte("s3cr3t")), "encrypted keys are not supported"},
		{"corrupt PKCS#8", writePEM(t, dir, "bad.pem", "PRIVATE KEY", []byte("s3cr3t")), "private key: malformed DER"},
		{"corrupt SEC 1", writePEM(t, dir, "bad1.pem", "EC PRIVATE KEY", []byte("s3cr3t")), "ec private key: malformed DER"},
		{"certificate", writePEM(t, dir, "cert.pem", "CERTIFICATE", []byte("s3cr3t")), `PEM block "CERTIFICATE" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := attest.LoadPrivateKey(tt.path)
			if s != nil {
				t.Error("returned a signer")
			}
			checkMessage(t, err, "load signing key "+tt.path+": "+tt.want, "s3cr3t", "PRIVATE KEY-----")
		})
	}
}

func TestLoadPublicKeyErrors(t *testing.T) {
	dir := t.TempDir()
	rsaPriv, rsaPub := keyFiles(t, "rsa")
	edPriv, _ := keyFiles(t, "ed25519")
	_, p521 := keyFiles(t, "p521")
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.pem"), "no such file or directory"},
		{"not PEM", writeFile(t, dir, "junk.pem", "ssh-ed25519 AAAA"), "no PEM block"},
		{"RSA", rsaPub, "RSA keys are not supported"},
		{"P-521", p521, "ECDSA curve P-521 is not supported"},
		{"private key", edPriv, `PEM block "PRIVATE KEY" is not supported (want PUBLIC KEY)`},
		{"RSA private key", rsaPriv, `PEM block "PRIVATE KEY" is not supported`},
		{"corrupt", writePEM(t, dir, "bad.pem", "PUBLIC KEY", []byte("xx")), "public key: malformed DER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.LoadPublicKey(tt.path)
			if v != nil {
				t.Error("returned a verifier")
			}
			checkMessage(t, err, "load public key "+tt.path+": "+tt.want)
		})
	}
	_, err := attest.ParsePublicKey([]byte("junk"))
	checkMessage(t, err, "parse public key: no PEM block")
}

func TestKeyID(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	dir := t.TempDir()
	v, err := attest.ParsePublicKey(readFile(t, writePEM(t, dir, "pub.pem", "PUBLIC KEY", der)))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := attest.KeyID(pub)
	if got, _ := v.KeyID(); got != want || len(got) != 64 {
		t.Errorf("KeyID = %q, want %q", got, want)
	}
	if _, err := attest.KeyID("not a key"); err == nil {
		t.Error("KeyID of a string: no error")
	}
}

func TestAttesttestKeyPair(t *testing.T) {
	dir := t.TempDir()
	priv1, pub1 := attesttest.KeyPair(t, dir)
	priv2, pub2 := attesttest.KeyPair(t, dir)
	if priv1 == priv2 || pub1 == pub2 {
		t.Fatalf("two pairs share files: %s %s", priv1, priv2)
	}
	if fi, err := os.Stat(priv1); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", fi, err)
	}
	s, err := attest.LoadPrivateKey(priv1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.LoadPublicKey(pub1)
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := s.KeyID()
	vid, _ := v.KeyID()
	if sid != vid {
		t.Errorf("keyids differ: %s %s", sid, vid)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

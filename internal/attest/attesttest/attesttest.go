// Package attesttest makes signing keys for tests of the packages that sign or verify
// attestations.
package attesttest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// KeyPair generates an ed25519 key and writes it to dir: the private key as a PKCS#8
// "PRIVATE KEY" PEM (mode 0600) at privPath, the public key as a PKIX "PUBLIC KEY" PEM
// at pubPath. Each call writes a new pair (attest-N.key, attest-N.pub).
func KeyPair(t testing.TB, dir string) (privPath, pubPath string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("attesttest: generate ed25519 key: %v", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatalf("attesttest: marshal private key: %v", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("attesttest: marshal public key: %v", err)
	}
	base := freeName(t, dir)
	privPath, pubPath = base+".key", base+".pub"
	write(t, privPath, "PRIVATE KEY", privDER, 0o600)
	write(t, pubPath, "PUBLIC KEY", pubDER, 0o644)
	return privPath, pubPath
}

// freeName returns dir/attest-N for the first N with no key file yet.
func freeName(t testing.TB, dir string) string {
	t.Helper()
	for n := 1; ; n++ {
		base := filepath.Join(dir, fmt.Sprintf("attest-%d", n))
		if _, err := os.Stat(base + ".key"); os.IsNotExist(err) {
			return base
		}
	}
}

func write(t testing.TB, path, typ string, der []byte, mode os.FileMode) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatalf("attesttest: write %s: %v", path, err)
	}
}

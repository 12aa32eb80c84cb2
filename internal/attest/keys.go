package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeyID returns the keyid kiln gives a public key: the lowercase hex SHA-256 of its PKIX
// (SubjectPublicKeyInfo) DER encoding. dsse.SHA256KeyID is not this: it is the SSH
// fingerprint ("SHA256:<base64>") of the key's SSH wire form.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// localKey is an ed25519 or ECDSA P-256/P-384 key held in memory: a Verifier, and a
// Signer when it has the private key.
type localKey struct {
	id   string
	pub  crypto.PublicKey
	priv crypto.Signer // nil for a public key
}

// newLocalKey checks that pub is a supported key and computes its keyid.
func newLocalKey(pub crypto.PublicKey, priv crypto.Signer) (*localKey, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, fmt.Errorf("ECDSA curve %s is not supported (use P-256 or P-384)", k.Curve.Params().Name)
		}
	default:
		return nil, fmt.Errorf("%s keys are not supported (use ed25519 or ECDSA P-256/P-384)", keyKind(pub))
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &localKey{id: id, pub: pub, priv: priv}, nil
}

// Sign signs data: ed25519 over data itself, ECDSA (ASN.1) over its SHA-256 (P-256) or
// SHA-384 (P-384), as Vault transit and securesystemslib do.
func (k *localKey) Sign(_ context.Context, data []byte) ([]byte, error) {
	switch priv := k.priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, data), nil
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, priv, ecdsaDigest(priv.Curve, data))
	}
	return nil, errors.New("no private key")
}

// Verify checks sig over data.
func (k *localKey) Verify(_ context.Context, data, sig []byte) error {
	ok := false
	switch pub := k.pub.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, data, sig)
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, ecdsaDigest(pub.Curve, data), sig)
	}
	if !ok {
		return errors.New("signature invalid")
	}
	return nil
}

// KeyID returns KeyID of the public key.
func (k *localKey) KeyID() (string, error) { return k.id, nil }

// Public returns the public key.
func (k *localKey) Public() crypto.PublicKey { return k.pub }

// ecdsaDigest hashes data for the curve: SHA-256 for P-256, SHA-384 for P-384.
func ecdsaDigest(c elliptic.Curve, data []byte) []byte {
	if c == elliptic.P384() {
		sum := sha512.Sum384(data)
		return sum[:]
	}
	sum := sha256.Sum256(data)
	return sum[:]
}

// keyKind names a key's algorithm for a message.
func keyKind(k any) string {
	switch k.(type) {
	case ed25519.PublicKey, ed25519.PrivateKey:
		return "ed25519"
	case *ecdsa.PublicKey, *ecdsa.PrivateKey:
		return "ECDSA"
	case *rsa.PublicKey, *rsa.PrivateKey:
		return "RSA"
	}
	return fmt.Sprintf("%T", k)
}

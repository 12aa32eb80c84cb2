package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadPrivateKey loads a signing key from a PEM file: "PRIVATE KEY" (PKCS#8) holding an
// ed25519 or ECDSA P-256/P-384 key, or "EC PRIVATE KEY" (SEC 1) holding an ECDSA one.
// The Signer is also a Verifier. Errors name the file, never its contents.
func LoadPrivateKey(path string) (Signer, error) {
	data, err := readKey(path)
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", path, err)
	}
	k, err := parsePrivate(data)
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey loads a verification key from a PEM file (see ParsePublicKey).
func LoadPublicKey(path string) (Verifier, error) {
	data, err := readKey(path)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	k, err := parsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	return k, nil
}

// ParsePublicKey parses a PEM "PUBLIC KEY" (PKIX) block holding an ed25519 or ECDSA
// P-256/P-384 key, such as TransitPublicKeyPEM returns.
func ParsePublicKey(pemBytes []byte) (Verifier, error) {
	k, err := parsePublic(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return k, nil
}

// readKey reads a key file; the error is the bare cause, as the caller names the file.
func readKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, pe.Err
	}
	return data, err
}

func parsePrivate(data []byte) (*localKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return nil, errors.New("RSA keys are not supported (use ed25519 or ECDSA P-256/P-384)")
	case "PUBLIC KEY":
		return nil, errors.New("holds a public key, not a private key")
	default:
		return nil, fmt.Errorf("PEM block %q is not supported (want PRIVATE KEY or EC PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, malformed(strings.ToLower(block.Type), err)
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return newLocalKey(k.Public(), k)
	case *ecdsa.PrivateKey:
		return newLocalKey(k.Public(), k)
	}
	return nil, fmt.Errorf("%s keys are not supported (use ed25519 or ECDSA P-256/P-384)", keyKind(key))
}

func parsePublic(data []byte) (*localKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block %q is not supported (want PUBLIC KEY)", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, malformed("public key", err)
	}
	return newLocalKey(crypto.PublicKey(pub), nil)
}

// decodePEM returns the first PEM block of data, refusing encrypted ones.
func decodePEM(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	switch {
	case block == nil:
		return nil, errors.New("no PEM block")
	case block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED"):
		return nil, errors.New("encrypted keys are not supported")
	}
	return block, nil
}

// malformed describes a key that x509 could not parse: asn1's messages (Go struct tags
// and offsets) say nothing to a user, x509's own ("unknown curve") do.
func malformed(what string, err error) error {
	if strings.Contains(err.Error(), "asn1:") {
		return fmt.Errorf("%s: malformed DER", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/secrets"
)

// transitInfo is what a transit key's read tells: its type, and one version's public key.
type transitInfo struct {
	typ     string
	version int
	pub     crypto.PublicKey
	id      string
}

// transitCurves are the ECDSA key types kiln accepts, with their curve and the
// hash_algorithm that matches a local key's (see localKey.Sign).
var transitCurves = map[string]struct {
	curve elliptic.Curve
	hash  string
}{
	"ecdsa-p256": {elliptic.P256(), "sha2-256"},
	"ecdsa-p384": {elliptic.P384(), "sha2-384"},
}

// TransitPublicKeyPEM returns the public key of the latest version of the transit key
// mount/keys/key as a PEM "PUBLIC KEY" (PKIX) block, which LoadPublicKey and
// ParsePublicKey read.
func TransitPublicKeyPEM(ctx context.Context, c *vaultapi.Client, mount, key string) ([]byte, error) {
	k := Transit(c, mount, key)
	info, err := readTransitKey(ctx, c, k.mount, k.name, 0)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(info.pub)
	if err != nil {
		return nil, fmt.Errorf("public key of %s: %w", k, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// request starts the body of a sign or verify request for data.
func (i *transitInfo) request(data []byte) map[string]any {
	req := map[string]any{"input": base64.StdEncoding.EncodeToString(data)}
	if c, ok := transitCurves[i.typ]; ok {
		req["hash_algorithm"] = c.hash
		req["marshaling_algorithm"] = "asn1"
	}
	return req
}

// readTransitKey reads mount/keys/name and the public key of version (0: the latest).
func readTransitKey(ctx context.Context, c *vaultapi.Client, mount, name string, version int) (*transitInfo, error) {
	path := mount + "/keys/" + name
	sec, err := c.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, secrets.OneLine(err))
	}
	data := secretData(sec)
	if data == nil {
		return nil, fmt.Errorf("read %s: not found (no key %q in a transit engine at %s/)", path, name, mount)
	}
	info := &transitInfo{version: version}
	info.typ, _ = data["type"].(string)
	if info.version == 0 {
		info.version = intOf(data["latest_version"])
	}
	keys, _ := data["keys"].(map[string]any)
	ver, _ := keys[strconv.Itoa(info.version)].(map[string]any)
	pubText, _ := ver["public_key"].(string)
	if pubText == "" {
		return nil, fmt.Errorf("read %s: no public key for version %d", path, info.version)
	}
	if info.pub, err = transitPublic(info.typ, pubText); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if info.id, err = KeyID(info.pub); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return info, nil
}

// transitPublic parses a transit public key: base64 of the raw key for ed25519, PEM
// (PKIX) for ECDSA.
func transitPublic(typ, text string) (crypto.PublicKey, error) {
	if typ == "ed25519" {
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 public key is not %d bytes of base64", ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(raw), nil
	}
	want, ok := transitCurves[typ]
	if !ok {
		return nil, fmt.Errorf("key type %q is not supported (use ed25519, ecdsa-p256 or ecdsa-p384)", typ)
	}
	k, err := parsePublic([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s public key: %w", typ, err)
	}
	pub, ok := k.pub.(*ecdsa.PublicKey)
	if !ok || pub.Curve != want.curve {
		return nil, fmt.Errorf("%s public key is a %s key", typ, keyKind(k.pub))
	}
	return pub, nil
}

// intOf reads a JSON number as Vault's client decodes it (json.Number).
func intOf(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := strconv.Atoi(n.String())
		return i
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

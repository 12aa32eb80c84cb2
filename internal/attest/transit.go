package attest

import (
	"context"
	"crypto"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/secrets"
)

// TransitKey signs and verifies with a key of Vault's transit engine (type ed25519,
// ecdsa-p256 or ecdsa-p384) through an authenticated client. It works with one version
// of the key: the latest when it first reads the key, or the one AtVersion names. Its
// KeyID is KeyID of that version's public key, so a PEM of it (TransitPublicKeyPEM)
// verifies what it signs. Signing needs the capabilities read on <mount>/keys/<key> and
// update on <mount>/sign/<key>; verifying, read and update on <mount>/verify/<key>.
type TransitKey struct {
	c       *vaultapi.Client
	mount   string
	name    string
	version int // 0: the latest

	mu   sync.Mutex
	info *transitInfo // read once
}

// Transit returns the transit key named key under mount ("transit" when empty).
func Transit(c *vaultapi.Client, mount, key string) *TransitKey {
	mount = strings.Trim(mount, "/")
	if mount == "" {
		mount = "transit"
	}
	return &TransitKey{c: c, mount: mount, name: key}
}

// AtVersion returns the same transit key pinned to version n (n > 0), to verify what an
// older version signed.
func (k *TransitKey) AtVersion(n int) *TransitKey {
	return &TransitKey{c: k.c, mount: k.mount, name: k.name, version: n}
}

// String names the key by its path: "transit/keys/kiln-attest".
func (k *TransitKey) String() string { return k.path("keys") }

// Sign signs data with Vault: ed25519 over data, ECDSA (ASN.1) over its SHA-256 (P-256)
// or SHA-384 (P-384). It returns the raw signature, without Vault's "vault:vN:" prefix.
func (k *TransitKey) Sign(ctx context.Context, data []byte) ([]byte, error) {
	info, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	path := k.path("sign")
	req := info.request(data)
	req["key_version"] = info.version
	sec, err := k.c.Logical().WriteWithContext(ctx, path, req)
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", path, secrets.OneLine(err))
	}
	s, _ := secretData(sec)["signature"].(string)
	prefix := "vault:v" + strconv.Itoa(info.version) + ":"
	if !strings.HasPrefix(s, prefix) {
		return nil, fmt.Errorf("sign with %s: answer has no signature of key version %d", path, info.version)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, prefix))
	if err != nil {
		return nil, fmt.Errorf("sign with %s: signature is not base64", path)
	}
	return sig, nil
}

// Verify asks Vault whether sig is the key's signature over data.
func (k *TransitKey) Verify(ctx context.Context, data, sig []byte) error {
	info, err := k.load(ctx)
	if err != nil {
		return err
	}
	path := k.path("verify")
	req := info.request(data)
	req["signature"] = "vault:v" + strconv.Itoa(info.version) + ":" + base64.StdEncoding.EncodeToString(sig)
	sec, err := k.c.Logical().WriteWithContext(ctx, path, req)
	if err != nil {
		return fmt.Errorf("verify with %s: %w", path, secrets.OneLine(err))
	}
	if valid, _ := secretData(sec)["valid"].(bool); !valid {
		return fmt.Errorf("verify with %s: signature invalid", path)
	}
	return nil
}

// KeyID returns KeyID of the public key, reading the key from Vault the first time.
func (k *TransitKey) KeyID() (string, error) { return k.keyID(context.Background()) }

func (k *TransitKey) keyID(ctx context.Context) (string, error) {
	info, err := k.load(ctx)
	if err != nil {
		return "", err
	}
	return info.id, nil
}

// Public returns the public key (ed25519.PublicKey or *ecdsa.PublicKey), reading the key
// from Vault the first time; nil when that fails.
func (k *TransitKey) Public() crypto.PublicKey {
	info, err := k.load(context.Background())
	if err != nil {
		return nil
	}
	return info.pub
}

// load reads the key's type and public key once.
func (k *TransitKey) load(ctx context.Context) (*transitInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.info != nil {
		return k.info, nil
	}
	info, err := readTransitKey(ctx, k.c, k.mount, k.name, k.version)
	if err != nil {
		return nil, err
	}
	k.info = info
	return info, nil
}

func (k *TransitKey) path(op string) string { return k.mount + "/" + op + "/" + k.name }

// secretData returns the data of a Vault answer, empty for none.
func secretData(s *vaultapi.Secret) map[string]any {
	if s == nil {
		return nil
	}
	return s.Data
}

package planfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/secrets"
)

// TransitKey wraps a fresh data key per plan with a key of Vault's transit engine (an
// encryption key: aes256-gcm96, the engine's default type, or chacha20-poly1305). Sealing
// needs update on <mount>/encrypt/<key>, opening update on <mount>/decrypt/<key>; the
// header keeps the key's path and Vault's ciphertext of the data key.
type TransitKey struct {
	c           *vaultapi.Client
	mount, name string
}

// Transit returns the transit key name under mount ("transit" when empty), used through
// the logged-in client c.
func Transit(c *vaultapi.Client, mount, name string) *TransitKey {
	mount = strings.Trim(mount, "/")
	if mount == "" {
		mount = "transit"
	}
	return &TransitKey{c: c, mount: mount, name: name}
}

// String names the key: "Vault transit key transit/kiln-plan".
func (k *TransitKey) String() string { return "Vault transit key " + k.mount + "/" + k.name }

func (k *TransitKey) scheme() byte { return schemeTransit }

// newDataKey makes 32 random bytes and has Vault encrypt them; the reference is
// "<mount>/<key>\n<vault:vN:...>".
func (k *TransitKey) newDataKey(ctx context.Context) ([]byte, []byte, error) {
	dk := make([]byte, keySize)
	if _, err := rand.Read(dk); err != nil {
		return nil, nil, fmt.Errorf("seal the plan: %w", err)
	}
	path := k.mount + "/encrypt/" + k.name
	sec, err := k.c.Logical().WriteWithContext(ctx, path, map[string]any{"plaintext": base64.StdEncoding.EncodeToString(dk)})
	if err != nil {
		clear(dk)
		return nil, nil, fmt.Errorf("vault: encrypt the plan's data key with %s: %w", path, secrets.OneLine(err))
	}
	ct, _ := data(sec)["ciphertext"].(string)
	if !strings.HasPrefix(ct, "vault:") || strings.ContainsAny(ct, "\n") {
		clear(dk)
		return nil, nil, fmt.Errorf("vault: encrypt with %s: the answer has no ciphertext", path)
	}
	return dk, []byte(k.mount + "/" + k.name + "\n" + ct), nil
}

func (k *TransitKey) dataKey(ctx context.Context, ref []byte) ([]byte, error) {
	name, ct, ok := bytes.Cut(ref, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no wrapped data key", ErrAltered)
	}
	if string(name) != k.mount+"/"+k.name {
		return nil, fmt.Errorf("%w (Vault transit key %s), not with %s", ErrOtherKey, name, k)
	}
	path := k.mount + "/decrypt/" + k.name
	sec, err := k.c.Logical().WriteWithContext(ctx, path, map[string]any{"ciphertext": string(ct)})
	var re *vaultapi.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
		// Vault could not decrypt the wrapped key: another key, or an altered one.
		return nil, fmt.Errorf("%w: %s refuses the wrapped data key: %v", ErrAltered, path, secrets.OneLine(err))
	}
	if err != nil {
		return nil, fmt.Errorf("vault: decrypt the plan's data key with %s: %w", path, secrets.OneLine(err))
	}
	b64, _ := data(sec)["plaintext"].(string)
	dk, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(dk) != keySize {
		clear(dk)
		return nil, fmt.Errorf("%w: %s answers no %d-byte data key", ErrAltered, path, keySize)
	}
	return dk, nil
}

func data(s *vaultapi.Secret) map[string]any {
	if s == nil {
		return nil
	}
	return s.Data
}

package planfile

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// keySize is the size of an AES-256 key.
const keySize = 32

// LocalKey is a 32-byte key from a CI variable (EnvKey). The plan is sealed with it
// directly; the header names it by its key id, which reveals nothing of the key.
type LocalKey struct {
	key []byte
	id  []byte
}

// ParseKey decodes a base64 key of 32 bytes (padded or not). Its errors never hold the
// value.
func ParseKey(s string) (*LocalKey, error) {
	s = strings.TrimSpace(s)
	var key []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s is not base64 (make one with: openssl rand -base64 32)", EnvKey)
	case len(key) != keySize:
		return nil, fmt.Errorf("%s holds %d bytes, want %d (make one with: openssl rand -base64 32)", EnvKey, len(key), keySize)
	}
	return &LocalKey{key: key, id: keyID(key)}, nil
}

// keyID is 8 bytes of HMAC-SHA256(key, "kiln plan key id"): it tells two keys apart
// without revealing either.
func keyID(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kiln plan key id"))
	return m.Sum(nil)[:8]
}

// ID is the key's id in hex, for messages.
func (k *LocalKey) ID() string { return hex.EncodeToString(k.id) }

// String names the key: "KILN_PLAN_KEY (key id 0123456789abcdef)".
func (k *LocalKey) String() string { return EnvKey + " (key id " + k.ID() + ")" }

func (k *LocalKey) scheme() byte { return schemeLocal }

func (k *LocalKey) newDataKey(context.Context) ([]byte, []byte, error) {
	return bytes.Clone(k.key), bytes.Clone(k.id), nil
}

func (k *LocalKey) dataKey(_ context.Context, ref []byte) ([]byte, error) {
	if !bytes.Equal(ref, k.id) {
		return nil, fmt.Errorf("%w (key id %s), not with %s", ErrOtherKey, hex.EncodeToString(ref), k)
	}
	return bytes.Clone(k.key), nil
}

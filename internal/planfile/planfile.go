// Package planfile seals a Terraform plan for the trip from a merge request pipeline to the
// promotion after the merge: an envelope of the plan file and what it was planned for (the
// image id, the environment, the state lineage and serial), encrypted and authenticated with
// AES-256-GCM. The key is KILN_PLAN_KEY (32 bytes, base64) or a fresh data key wrapped by a
// Vault transit key (transit.go). A plan holds the variables' values, so a sealed plan is
// never readable in clear, and any change to it, or another key, fails to open.
//
// The format (version 1):
//
//	"KILNPLAN" | 0x01 | scheme (1 local key, 2 transit) | uint16 length | key reference |
//	12-byte nonce | AES-256-GCM ciphertext, with everything before it as additional data
//
// The key reference names the key without revealing it: for a local key, 8 bytes of
// HMAC-SHA256(key, "kiln plan key id"); for transit, the key's path and the wrapped data
// key. The plaintext is a uint32 length, the JSON metadata, then the plan file's bytes.
package planfile

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// EnvKey is the variable holding the local key: 32 bytes, base64 (openssl rand -base64 32).
const EnvKey = "KILN_PLAN_KEY"

// MaxSize is the largest sealed plan kiln reads or writes, in bytes.
const MaxSize = 64 << 20

const (
	magic   = "KILNPLAN"
	version = 1
	nonceN  = 12
	// head is the fixed part before the key reference: magic, version, scheme, length.
	head = len(magic) + 1 + 1 + 2
)

// The key schemes of the header.
const (
	schemeLocal   = 1
	schemeTransit = 2
)

// Envelope is a plan file and what it was planned for.
type Envelope struct {
	ImageID     string // the image the plan deploys
	Environment string // the kiln.yaml environment it was planned for
	// StateLineage and StateSerial identify the state the plan was made against; an empty
	// lineage and serial 0 mean no state at all.
	StateLineage string
	StateSerial  int64
	Plan         []byte // the Terraform plan file, as terraform plan -out wrote it
}

// meta is the JSON part of the plaintext.
type meta struct {
	Version      int    `json:"version"`
	ImageID      string `json:"image_id"`
	Environment  string `json:"environment"`
	StateLineage string `json:"state_lineage"`
	StateSerial  int64  `json:"state_serial"`
}

// Key seals and opens envelopes: LocalKey or Transit.
type Key interface {
	// String names the key for messages, never with its value.
	String() string
	scheme() byte
	// newDataKey returns a fresh data key and the reference that finds it again.
	newDataKey(ctx context.Context) (key, ref []byte, err error)
	// dataKey returns the data key of a reference this Key wrote.
	dataKey(ctx context.Context, ref []byte) ([]byte, error)
}

// Errors of Open; each is a reason the sealed plan cannot be used, said in one line.
var (
	ErrNotSealed = errors.New("not a sealed kiln plan")
	ErrOtherKey  = errors.New("sealed with another key")
	ErrAltered   = errors.New("does not authenticate: altered, truncated or sealed with another key")
)

// Seal encrypts e with k.
func Seal(ctx context.Context, k Key, e Envelope) ([]byte, error) {
	m, err := json.Marshal(meta{Version: version, ImageID: e.ImageID, Environment: e.Environment,
		StateLineage: e.StateLineage, StateSerial: e.StateSerial})
	if err != nil {
		return nil, err
	}
	dk, ref, err := k.newDataKey(ctx)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	if len(ref) > 0xffff {
		return nil, fmt.Errorf("seal the plan: key reference of %d bytes", len(ref))
	}
	var hdr bytes.Buffer
	hdr.WriteString(magic)
	hdr.WriteByte(version)
	hdr.WriteByte(k.scheme())
	binary.Write(&hdr, binary.BigEndian, uint16(len(ref)))
	hdr.Write(ref)
	nonce := make([]byte, nonceN)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal the plan: %w", err)
	}
	hdr.Write(nonce)
	plain := binary.BigEndian.AppendUint32(nil, uint32(len(m)))
	plain = append(append(plain, m...), e.Plan...)
	aead, err := gcm(dk)
	if err != nil {
		return nil, err
	}
	out := aead.Seal(hdr.Bytes(), nonce, plain, hdr.Bytes())
	if len(out) > MaxSize {
		return nil, fmt.Errorf("seal the plan: %d bytes is more than the %d a sealed plan may have", len(out), MaxSize)
	}
	return out, nil
}

// Open decrypts and authenticates data with k. A file that is not a sealed plan is
// ErrNotSealed, one that names another key ErrOtherKey, and one that does not
// authenticate ErrAltered (each wrapped with detail); a key that fails (Vault) returns its
// own error.
func Open(ctx context.Context, k Key, data []byte) (*Envelope, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotSealed, MaxSize)
	}
	if len(data) < head || string(data[:len(magic)]) != magic {
		return nil, ErrNotSealed
	}
	if v := data[len(magic)]; v != version {
		return nil, fmt.Errorf("%w: format version %d, this kiln reads %d", ErrNotSealed, v, version)
	}
	scheme := data[len(magic)+1]
	n := int(binary.BigEndian.Uint16(data[len(magic)+2 : head]))
	if len(data) < head+n+nonceN {
		return nil, fmt.Errorf("%w: truncated", ErrAltered)
	}
	if scheme != k.scheme() {
		return nil, fmt.Errorf("%w (%s), not with %s", ErrOtherKey, schemeName(scheme), k)
	}
	ref := data[head : head+n]
	hdr := data[:head+n+nonceN]
	dk, err := k.dataKey(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	aead, err := gcm(dk)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, hdr[head+n:], data[len(hdr):], hdr)
	if err != nil {
		return nil, ErrAltered
	}
	return decode(plain)
}

func decode(plain []byte) (*Envelope, error) {
	if len(plain) < 4 {
		return nil, fmt.Errorf("%w: no metadata", ErrNotSealed)
	}
	n := binary.BigEndian.Uint32(plain)
	if uint64(n) > uint64(len(plain)-4) {
		return nil, fmt.Errorf("%w: metadata of %d bytes in %d", ErrNotSealed, n, len(plain)-4)
	}
	dec := json.NewDecoder(bytes.NewReader(plain[4 : 4+n]))
	dec.DisallowUnknownFields()
	var m meta
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrNotSealed, err)
	}
	if m.Version != version {
		return nil, fmt.Errorf("%w: metadata version %d", ErrNotSealed, m.Version)
	}
	return &Envelope{ImageID: m.ImageID, Environment: m.Environment, StateLineage: m.StateLineage,
		StateSerial: m.StateSerial, Plan: plain[4+n:]}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("plan key: %w", err)
	}
	return cipher.NewGCM(block)
}

func schemeName(s byte) string {
	switch s {
	case schemeLocal:
		return "a " + EnvKey
	case schemeTransit:
		return "a Vault transit key"
	}
	return fmt.Sprintf("unknown key scheme %d", s)
}

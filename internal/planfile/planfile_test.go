package planfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func newKey(t *testing.T) (*LocalKey, string) {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	s := base64.StdEncoding.EncodeToString(raw)
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k, s
}

func sample() Envelope {
	return Envelope{ImageID: "local:sha256:4f1c0ffee", Environment: "prod", StateLineage: "a98e08cb-3e8e-439f-6c50-8c1a299637cf",
		StateSerial: 7, Plan: []byte("PK\x03\x04 terraform plan with db_password=hunter2-very-secret")}
}

// TestSealOpen: what Seal writes opens to the same envelope, shows none of it in clear, and
// differs on every seal (a fresh nonce).
func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	k, _ := newKey(t)
	want := sample()
	a, err := Seal(ctx, k, want)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Seal(ctx, k, want)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plan are identical: the nonce is not fresh")
	}
	for _, clear := range []string{"hunter2", "local:sha256", "prod", "a98e08cb", "PK\x03\x04"} {
		if bytes.Contains(a, []byte(clear)) {
			t.Fatalf("the sealed plan shows %q in clear", clear)
		}
	}
	got, err := Open(ctx, k, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.ImageID != want.ImageID || got.Environment != want.Environment || got.StateLineage != want.StateLineage ||
		got.StateSerial != want.StateSerial || !bytes.Equal(got.Plan, want.Plan) {
		t.Fatalf("opened %+v, want %+v", got, want)
	}
	empty, _ := Seal(ctx, k, Envelope{ImageID: "x", Environment: "prod"})
	if e, err := Open(ctx, k, empty); err != nil || e.StateLineage != "" || e.StateSerial != 0 || len(e.Plan) != 0 {
		t.Fatalf("a plan against no state: %+v, %v", e, err)
	}
}

// TestOpenRefuses: another key, a changed byte anywhere, a truncated or extended file and a
// file that is no sealed plan never open, each with its reason.
func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	k, _ := newKey(t)
	other, _ := newKey(t)
	sealed, err := Seal(ctx, k, sample())
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	ref := head // the key id's first byte
	for _, tc := range []struct {
		name string
		data []byte
		key  Key
		want error
	}{
		{"other key", sealed, other, ErrOtherKey},
		{"magic", flip(0), k, ErrNotSealed},
		{"version", flip(len(magic)), k, ErrNotSealed},
		{"scheme", flip(len(magic) + 1), k, ErrOtherKey},
		{"key id", flip(ref), k, ErrOtherKey},
		{"nonce", flip(head + 8), k, ErrAltered},
		{"ciphertext", flip(head + 8 + nonceN + 3), k, ErrAltered},
		{"tag", flip(len(sealed) - 1), k, ErrAltered},
		{"truncated", sealed[:len(sealed)-1], k, ErrAltered},
		{"header only", sealed[:head+8+nonceN], k, ErrAltered},
		{"extended", append(bytes.Clone(sealed), 0), k, ErrAltered},
		{"empty", nil, k, ErrNotSealed},
		{"a plan in clear", []byte("PK\x03\x04 a zip"), k, ErrNotSealed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Open(ctx, tc.key, tc.data)
			if !errors.Is(err, tc.want) || e != nil {
				t.Fatalf("Open: %v, %+v; want %v", err, e, tc.want)
			}
		})
	}
	_, err = Open(ctx, other, sealed)
	if !strings.Contains(err.Error(), "key id "+k.ID()) || !strings.Contains(err.Error(), other.ID()) {
		t.Fatalf("another key's error does not name both key ids: %v", err)
	}
}

// TestParseKey: a 32-byte base64 key, padded or not; anything else is refused without the
// value in the message.
func TestParseKey(t *testing.T) {
	_, good := newKey(t)
	for _, s := range []string{good, strings.TrimRight(good, "="), " " + good + "\n"} {
		if _, err := ParseKey(s); err != nil {
			t.Fatalf("ParseKey(%q): %v", s, err)
		}
	}
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for _, tc := range []struct{ in, want string }{
		{"not base64 at all!", "KILN_PLAN_KEY is not base64"},
		{short, "KILN_PLAN_KEY holds 16 bytes, want 32"},
		{"", "KILN_PLAN_KEY holds 0 bytes, want 32"},
	} {
		_, err := ParseKey(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.in != "" && strings.Contains(err.Error(), tc.in)) {
			t.Errorf("ParseKey(%q): %v, want %q without the value", tc.in, err, tc.want)
		}
	}
	k1, _ := ParseKey(good)
	k2, _ := ParseKey(strings.TrimRight(good, "="))
	if k1.ID() != k2.ID() || strings.Contains(k1.String(), good) || strings.Contains(k1.String(), strings.TrimRight(good, "=")) {
		t.Fatalf("key ids %s %s, name %s", k1.ID(), k2.ID(), k1)
	}
}

// BenchmarkSealOpen seals and opens a 1 MB plan.
func BenchmarkSealOpen(b *testing.B) {
	raw := make([]byte, 32)
	rand.Read(raw)
	k, _ := ParseKey(base64.StdEncoding.EncodeToString(raw))
	e := sample()
	e.Plan = make([]byte, 1<<20)
	ctx := context.Background()
	b.SetBytes(int64(len(e.Plan)))
	for i := 0; i < b.N; i++ {
		s, err := Seal(ctx, k, e)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Open(ctx, k, s); err != nil {
			b.Fatal(err)
		}
	}
}

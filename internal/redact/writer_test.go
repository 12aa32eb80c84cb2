package redact

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWriterChunkings(t *testing.T) {
	secrets := []string{pemKey, "s3cr3tValue", `a,b$c'd\"e f`, "on", `{"a":"b-long"}`}
	in := "start s3cr3tValue\nkey=" + pemKey + "turn on\n" + `x{"a":"b-long"}y` +
		"\nenc " + base64.StdEncoding.EncodeToString([]byte("s3cr3tValue")) + " configuration a,b$c'd\\\"e f\n"
	r := New()
	for _, s := range secrets {
		r.Add(s)
	}
	want := r.String(in)
	for _, size := range []int{1, 2, 3, 7, 64, len(in)} {
		var out bytes.Buffer
		w := r.Writer(&out)
		for i := 0; i < len(in); i += size {
			if _, err := w.Write([]byte(in[i:min(i+size, len(in))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("chunks of %d: got %q, want %q", size, out.String(), want)
		}
		if strings.Contains(out.String(), "s3cr3tValue") || strings.Contains(out.String(), "PRIVATE KEY") {
			t.Errorf("chunks of %d: secret leaked: %q", size, out.String())
		}
	}
}

func TestWriterPassesLinesPromptly(t *testing.T) {
	r := New()
	r.Add("s3cr3tValue")
	var out bytes.Buffer
	w := r.Writer(&out)
	_, _ = w.Write([]byte("Still creating... [10s elapsed]\n"))
	if out.String() != "Still creating... [10s elapsed]\n" {
		t.Errorf("a line that cannot start a secret was held back: %q", out.String())
	}
	_, _ = w.Write([]byte("value s3cr"))
	if strings.Contains(out.String(), "s3cr") {
		t.Errorf("the beginning of a secret was emitted: %q", out.String())
	}
	_, _ = w.Write([]byte("3tValue!"))
	_ = w.Close()
	if got := out.String(); got != "Still creating... [10s elapsed]\nvalue ***!" {
		t.Errorf("got %q", got)
	}
}

func TestWriterAfterClose(t *testing.T) {
	w := New().Writer(&bytes.Buffer{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// FuzzWriter checks that for any two secrets, text and chunking, the stream masks exactly
// what String masks, and the output holds neither secret, their lines nor their base64.
func FuzzWriter(f *testing.F) {
	f.Add("s3cr3tValue", "other-secret", "log line\nanother", uint64(1))
	f.Add(pemKey, "KEY-----", "key=", uint64(2))
	f.Add("on", "onion", "configuration on", uint64(3))
	f.Add(`a,b$c'd\"e f`, "b$c'd", "export X=", uint64(4))
	f.Add("aaaa", "aaab", "aaaaaaaaab", uint64(5))
	f.Fuzz(func(t *testing.T, secret, secret2, text string, seed uint64) {
		r := New()
		r.Add(secret)
		r.Add(secret2)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		at, at2 := rng.IntN(len(text)+1), rng.IntN(len(text)+1)
		in := text[:at] + secret + text[at:] + " " + base64.StdEncoding.EncodeToString([]byte(secret)) +
			text[:at2] + secret2 + text[at2:] + secret + secret2
		want := r.String(in)

		var out bytes.Buffer
		w := r.Writer(&out)
		for rest := []byte(in); len(rest) > 0; {
			n := 1 + rng.IntN(min(len(rest), 40))
			_, _ = w.Write(rest[:n])
			rest = rest[n:]
		}
		_ = w.Close()
		if out.String() != want {
			t.Fatalf("stream %q != String %q", out.String(), want)
		}
		for _, s := range append(leakChecks(secret), leakChecks(secret2)...) {
			if strings.Contains(want, s) {
				t.Fatalf("output %q contains %q", want, s)
			}
		}
	})
}

// leakChecks returns the forms of secret that must never be in the output. Forms shorter
// than minLen are masked only as tokens, and a secret with a '*' could be rebuilt from the
// mask itself, so neither is checked.
func leakChecks(secret string) []string {
	t := strings.TrimSpace(secret)
	if utf8.RuneCountInString(t) < minLen || strings.Contains(secret, "*") {
		return nil
	}
	checks := []string{t, base64.StdEncoding.EncodeToString([]byte(secret))}
	if strings.Contains(t, "\n") {
		checks = append(checks, usefulLines(t)...)
	}
	return checks
}

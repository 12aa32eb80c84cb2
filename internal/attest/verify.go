package attest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// maxFailures bounds the reasons a refusal lists.
const maxFailures = 4

// keyIDContexter is a Verifier whose KeyID may need a request (TransitKey).
type keyIDContexter interface {
	keyID(ctx context.Context) (string, error)
}

// Verify checks that env is signed by any of vs (one good signature is enough), that it
// carries an in-toto statement (PayloadType, _type) with kiln's PredicateType, that the
// predicate decodes strictly (unknown fields are errors) and that the statement's only
// subject is Subject(predicate.ImageID). It returns the predicate, failed ones included:
// the caller checks Status and that ImageID is the image it is about to use.
func Verify(ctx context.Context, env *Envelope, vs ...Verifier) (*Predicate, error) {
	p, err := verify(ctx, env, vs)
	if err != nil {
		return nil, fmt.Errorf("verify attestation: %w", err)
	}
	return p, nil
}

func verify(ctx context.Context, env *Envelope, vs []Verifier) (*Predicate, error) {
	switch {
	case env == nil:
		return nil, errors.New("no envelope")
	case len(vs) == 0:
		return nil, errors.New("no verification key")
	case env.PayloadType != PayloadType:
		return nil, fmt.Errorf("payloadType is %q, want %q", env.PayloadType, PayloadType)
	case len(env.Signatures) == 0:
		return nil, errors.New("envelope has no signature")
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, errors.New("payload is not base64")
	}
	if err := checkSignatures(ctx, env, dsse.PAE(env.PayloadType, payload), vs); err != nil {
		return nil, err
	}
	return decodeStatement(payload)
}

// checkSignatures returns nil when a signature of env verifies with one of vs, trying
// each verifier on the signatures whose keyid is its own or empty. It does the work of
// dsse.EnvelopeVerifier, which prints to stdout when two verifiers share a keyid and
// says only "accepted signatures do not match threshold" when none verifies.
func checkSignatures(ctx context.Context, env *Envelope, pae []byte, vs []Verifier) error {
	var failures []string
	trusted := make([]string, len(vs))
	usable := make([]bool, len(vs))
	for i, v := range vs {
		if v == nil {
			failures = append(failures, fmt.Sprintf("verification key %d is nil", i+1))
			continue
		}
		id, err := verifierKeyID(ctx, v)
		if err != nil {
			failures = append(failures, fmt.Sprintf("verification key %d: %v", i+1, err))
			continue
		}
		trusted[i], usable[i] = id, true
	}
	tried := false
	for _, s := range env.Signatures {
		sig, err := decodeB64(s.Sig)
		if err != nil {
			failures = append(failures, fmt.Sprintf("signature by %s is not base64", short(s.KeyID)))
			continue
		}
		for i, v := range vs {
			if !usable[i] || (s.KeyID != "" && trusted[i] != "" && s.KeyID != trusted[i]) {
				continue
			}
			tried = true
			if err := v.Verify(ctx, pae, sig); err != nil {
				failures = append(failures, fmt.Sprintf("signature by %s does not verify: %v", short(s.KeyID), err))
				continue
			}
			return nil
		}
	}
	if !tried && slices.Contains(usable, true) {
		var signers, keys []string
		for _, s := range env.Signatures {
			signers = append(signers, short(s.KeyID))
		}
		for i, id := range trusted {
			if usable[i] {
				keys = append(keys, short(id))
			}
		}
		failures = append(failures, fmt.Sprintf("signed by %s, not by a trusted key (%s)",
			strings.Join(signers, ", "), strings.Join(keys, ", ")))
	}
	if len(failures) > maxFailures {
		failures = append(failures[:maxFailures], fmt.Sprintf("%d more", len(failures)-maxFailures))
	}
	return errors.New(strings.Join(failures, "; "))
}

// verifierKeyID returns v's keyid, asking with ctx when v needs a request for it.
func verifierKeyID(ctx context.Context, v Verifier) (string, error) {
	if k, ok := v.(keyIDContexter); ok {
		return k.keyID(ctx)
	}
	id, err := v.KeyID()
	if err != nil || id != "" {
		return id, err
	}
	if v.Public() == nil {
		return "", nil
	}
	return KeyID(v.Public())
}

// decodeB64 decodes standard or URL-safe base64, both of which DSSE allows.
func decodeB64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(s)
	}
	return b, err
}

// short quotes a keyid for a message, cut to 16 characters (it may come from the envelope).
func short(id string) string {
	if id == "" {
		return "an unnamed key"
	}
	if len(id) > 16 {
		id = id[:16] + "..."
	}
	return fmt.Sprintf("key %q", id)
}

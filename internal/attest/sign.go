package attest

import (
	"context"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Sign returns the DSSE envelope of the in-toto statement that p's image passed or failed
// p's tests, signed by s. p needs an ImageID and a Status of StatusPassed or StatusFailed.
func Sign(ctx context.Context, s Signer, p Predicate) (*Envelope, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("sign attestation: predicate: %w", err)
	}
	payload, err := encodeStatement(p)
	if err != nil {
		return nil, fmt.Errorf("sign attestation for %s: %w", p.ImageID, err)
	}
	es, err := dsse.NewEnvelopeSigner(s)
	if err != nil {
		return nil, fmt.Errorf("sign attestation for %s: %w", p.ImageID, err)
	}
	env, err := es.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign attestation for %s: %w", p.ImageID, err)
	}
	return env, nil
}

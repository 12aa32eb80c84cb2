package gate

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
)

// Verifier returns the VerifyFunc of kiln.yaml's attest block: its public_key PEM, else its
// Vault transit key through vault (the step's login). It returns nil without an attest block.
func Verifier(cfg *config.Config, vault *api.Client) (VerifyFunc, error) {
	a := cfg.Attest
	if a == nil {
		return nil, nil
	}
	var v attest.Verifier
	switch {
	case a.PublicKey != "":
		k, err := attest.LoadPublicKey(cfg.Path(a.PublicKey))
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Usage, err)
		}
		v = k
	case a.Transit != nil && vault != nil:
		v = attest.Transit(vault, a.Transit.Mount, a.Transit.Key)
	default:
		return nil, exitcode.New(exitcode.Usage, "attest.transit: no Vault login to verify with (check the vault block)")
	}
	return func(ctx context.Context, env *record.Envelope) (*attest.Predicate, error) {
		p, err := attest.Verify(ctx, ToDSSE(env), v)
		return p, VaultCode(err)
	}, nil
}

// ToDSSE converts the record's copy of an envelope for the attest package.
func ToDSSE(e *record.Envelope) *attest.Envelope {
	out := &attest.Envelope{PayloadType: e.PayloadType, Payload: e.Payload}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, attest.Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	return out
}

// FromDSSE converts a signed envelope for the record.
func FromDSSE(e *attest.Envelope) *record.Envelope {
	out := &record.Envelope{PayloadType: e.PayloadType, Payload: e.Payload, Signatures: []record.Signature{}}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, record.Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	return out
}

// VaultCode gives a Vault failure of the transit engine kiln's exit code: 5 for a refusal
// (permission denied, an expired token), 4 for Vault unreachable or sealed; it returns any
// other error as it is.
func VaultCode(err error) error {
	var re *api.ResponseError
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized):
		return exitcode.Wrap(exitcode.VaultDenied, err)
	case errors.As(err, &re) && re.StatusCode == http.StatusServiceUnavailable, errors.As(err, &ne):
		return exitcode.Wrap(exitcode.VaultUnavailable, err)
	}
	return err
}

package check

import (
	"context"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// signer returns the attestation signer of kiln.yaml's attest block (nil without one): the
// Vault transit key, else the PEM private key whose path the attest.private_key_env
// variable holds. It is resolved before the checks run, so a missing key fails fast.
func signer(r *step.Run) (attest.Signer, error) {
	a := r.Config.Attest
	switch {
	case a == nil:
		return nil, nil
	case a.Transit != nil:
		if r.Vault == nil {
			return nil, exitcode.New(exitcode.Usage, "attest.transit: no Vault login to sign with (check the vault block)")
		}
		k := attest.Transit(r.Vault, a.Transit.Mount, a.Transit.Key)
		if _, err := k.KeyID(); err != nil { // fail before the checks, not after
			return nil, gate.VaultCode(err)
		}
		return k, nil
	}
	path := r.Env.Getenv(a.PrivateKeyEnv)
	if path == "" {
		return nil, exitcode.New(exitcode.Usage, "attest: %s is not set: kiln-test signs with the PEM private key whose path it holds", a.PrivateKeyEnv)
	}
	s, err := attest.LoadPrivateKey(r.Path(path))
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	return s, nil
}

// sign signs what the tests section vouches for.
func sign(ctx context.Context, s attest.Signer, rec *record.Record, t *record.Tests, pipelineURL string) (*record.Envelope, error) {
	p := attest.Predicate{
		ImageID: rec.Image.ID, ImageName: rec.Image.Name, PackagesDigest: rec.Image.PackagesDigest, Family: t.Family, Environment: t.Environment,
		StateLineage: t.StateLineage, StateSerial: t.StateSerial, StateDigest: t.StateDigest, ChecksDigest: t.ChecksDigest,
		Status: t.Status, Passed: t.Passed, Failed: t.Failed, Total: t.Total,
		SourceRepo: rec.Source.Repo, SourceCommit: rec.Source.Commit, PipelineURL: pipelineURL,
		BuiltAt: rec.BuiltAt, TestedAt: t.At,
	}
	for _, c := range t.Checks {
		p.Results = append(p.Results, attest.Result{Name: c.Name, Kind: c.Kind, Status: c.Status})
	}
	env, err := attest.Sign(ctx, s, p)
	if err != nil {
		return nil, gate.VaultCode(err)
	}
	return gate.FromDSSE(env), nil
}

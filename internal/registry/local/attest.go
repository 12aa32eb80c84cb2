package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// attestationPath is where image k's attestation is kept.
func (r *Registry) attestationPath(k string) string {
	return filepath.Join(r.Dir, "attestations", k+".json")
}

// PutAttestation keeps env as image id's signed test attestation (registry.Attestations).
func (r *Registry) PutAttestation(_ context.Context, id string, env []byte) error {
	k, err := key(id)
	if err != nil {
		return err
	}
	if !json.Valid(env) {
		return fmt.Errorf("attestation of %s: not JSON", id)
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "attestations"), 0o755); err != nil {
		return fmt.Errorf("attestation of %s: %w", id, err)
	}
	if err := writeJSON(r.attestationPath(k), json.RawMessage(env)); err != nil {
		return fmt.Errorf("attestation of %s: %w", id, err)
	}
	return nil
}

// Attestation returns image id's attestation, or nil when the registry keeps none.
func (r *Registry) Attestation(_ context.Context, id string) ([]byte, error) {
	k, err := key(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(r.attestationPath(k))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("attestation of %s: %w", id, err)
	}
	return b, nil
}

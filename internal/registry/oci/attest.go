package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// maxAttestation bounds an attestation read back: a DSSE envelope of kiln's test statement
// is a few kilobytes.
const maxAttestation = 4 << 20

// PutAttestation keeps env, a DSSE envelope, as image id's test attestation
// (registry.Attestations): a referrer of the image whose one layer is the envelope, so
// that any runner can fetch and verify it. The newest one counts.
func (r *Registry) PutAttestation(ctx context.Context, id string, env []byte) error {
	d, err := r.digestOf(id)
	if err != nil {
		return err
	}
	if !json.Valid(env) {
		return fmt.Errorf("attestation of %s: not JSON", id)
	}
	mi, err := r.image(ctx, d)
	if err != nil {
		return err
	}
	layer := ocispec.Descriptor{MediaType: DSSEMediaType, Digest: digest.FromBytes(env), Size: int64(len(env))}
	ok, err := r.repo.Exists(ctx, layer)
	if err == nil && !ok {
		err = r.repo.Push(ctx, layer, bytes.NewReader(env))
	}
	if err != nil {
		return r.wrap("attestation of "+id, err)
	}
	m := newManifest(AttestationType, []ocispec.Descriptor{layer}, subjectOf(mi.desc), map[string]string{ocispec.AnnotationCreated: formatTime(r.now())})
	return r.wrap("attestation of "+id, r.pushReferrer(ctx, mi.desc, m))
}

// Attestation returns image id's newest attestation, or nil when the registry keeps none
// (registry.Attestations).
func (r *Registry) Attestation(ctx context.Context, id string) ([]byte, error) {
	d, err := r.digestOf(id)
	if err != nil {
		return nil, err
	}
	mi, err := r.image(ctx, d)
	if exitcode.Of(err) == exitcode.ImageNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	refs, err := r.referrers(ctx, mi.desc)
	if err != nil {
		return nil, r.wrap("attestation of "+id, err)
	}
	var atts []ocispec.Descriptor
	for _, ref := range refs {
		if ref.ArtifactType == AttestationType {
			atts = append(atts, ref)
		}
	}
	if len(atts) == 0 {
		return nil, nil
	}
	sort.Slice(atts, func(i, j int) bool {
		a, b := parseTime(atts[i].Annotations[ocispec.AnnotationCreated]), parseTime(atts[j].Annotations[ocispec.AnnotationCreated])
		if !a.Equal(b) {
			return a.After(b)
		}
		return atts[i].Digest > atts[j].Digest
	})
	_, m, _, err := r.fetchManifest(ctx, atts[0].Digest.String())
	if err != nil {
		return nil, r.wrap("attestation of "+id, err)
	}
	if m.ArtifactType != AttestationType || len(m.Layers) != 1 || m.Layers[0].MediaType != DSSEMediaType || m.Layers[0].Size > maxAttestation {
		return nil, fmt.Errorf("attestation of %s: %s is not a kiln attestation", id, atts[0].Digest)
	}
	rc, err := r.repo.Fetch(ctx, m.Layers[0])
	if err != nil {
		return nil, r.wrap("attestation of "+id, err)
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, m.Layers[0])
	if err != nil {
		return nil, fmt.Errorf("attestation of %s: %w", id, err)
	}
	return b, nil
}

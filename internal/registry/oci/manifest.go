package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// manifestInfo is an image manifest as kiln reads it; it never changes.
type manifestInfo struct {
	desc     ocispec.Descriptor
	manifest ocispec.Manifest
	family   string
	name     string
	created  time.Time
	labels   map[string]string // the provenance labels it was pushed with
}

// ensureEmpty pushes the empty JSON blob every kiln manifest uses as its config, once.
func (r *Registry) ensureEmpty(ctx context.Context) error {
	r.mu.Lock()
	done := r.emptyDone
	r.mu.Unlock()
	if done {
		return nil
	}
	e := ocispec.DescriptorEmptyJSON
	ok, err := r.repo.Exists(ctx, e)
	if err == nil && !ok {
		err = r.repo.Push(ctx, e, bytes.NewReader(e.Data))
	}
	if err != nil {
		return r.wrap("push the empty config blob", err)
	}
	r.mu.Lock()
	r.emptyDone = true
	r.mu.Unlock()
	return nil
}

// newManifest returns an OCI 1.1 artifact manifest of artifactType with the empty config;
// with no layers it holds the empty layer, as the image spec asks.
func newManifest(artifactType string, layers []ocispec.Descriptor, subject *ocispec.Descriptor, ann map[string]string) ocispec.Manifest {
	if len(layers) == 0 {
		layers = []ocispec.Descriptor{ocispec.DescriptorEmptyJSON}
	}
	cfg := ocispec.DescriptorEmptyJSON
	cfg.Data = nil
	for i := range layers {
		layers[i].Data = nil
	}
	return ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: cfg, Layers: layers, Subject: subject, Annotations: ann}
}

// pushManifest pushes m, tagged tag unless tag is "", and returns its descriptor.
func (r *Registry) pushManifest(ctx context.Context, m ocispec.Manifest, tag string) (ocispec.Descriptor, error) {
	if err := r.ensureEmpty(ctx); err != nil {
		return ocispec.Descriptor{}, err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := manifestDesc(data)
	desc.ArtifactType, desc.Annotations = m.ArtifactType, m.Annotations
	if tag == "" {
		err = r.repo.Push(ctx, desc, bytes.NewReader(data))
	} else {
		err = r.repo.PushReference(ctx, desc, bytes.NewReader(data), tag)
	}
	return desc, err
}

// fetchManifest fetches a manifest by digest or tag, checks its content against its digest
// and returns it decoded and as it came.
func (r *Registry) fetchManifest(ctx context.Context, ref string) (ocispec.Descriptor, *ocispec.Manifest, []byte, error) {
	desc, rc, err := r.repo.FetchReference(ctx, ref)
	if err != nil {
		return desc, nil, nil, err
	}
	defer rc.Close()
	if d, err := digest.Parse(ref); err == nil && d != desc.Digest {
		return desc, nil, nil, fmt.Errorf("manifest %s: the registry answered with %s", ref, desc.Digest)
	}
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return desc, nil, nil, fmt.Errorf("manifest %s: %w", ref, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil || desc.MediaType != ocispec.MediaTypeImageManifest {
		return desc, nil, nil, fmt.Errorf("manifest %s: not an OCI image manifest (%s)", ref, desc.MediaType)
	}
	desc.ArtifactType, desc.Annotations = m.ArtifactType, m.Annotations
	return desc, &m, data, nil
}

// image returns image manifest d, from memory once read; exit 7 when the repository does
// not hold it or it is not a kiln VM image.
func (r *Registry) image(ctx context.Context, d digest.Digest) (*manifestInfo, error) {
	r.mu.Lock()
	mi := r.images[d]
	r.mu.Unlock()
	if mi != nil {
		return mi, nil
	}
	desc, m, _, err := r.fetchManifest(ctx, d.String())
	if isNotFound(err) {
		return nil, registry.NotFound(r.ID(d), r.repository)
	}
	if err != nil {
		return nil, r.wrap("read image "+r.ID(d), err)
	}
	if m.ArtifactType != ArtifactType {
		return nil, exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("%s is not a kiln VM image (artifact type %q, want %s): %w", r.ID(d), m.ArtifactType, ArtifactType, registry.ErrNotFound))
	}
	mi = &manifestInfo{desc: desc, manifest: *m, family: m.Annotations[annFamily], name: m.Annotations[annName],
		created: parseTime(m.Annotations[ocispec.AnnotationCreated]), labels: labelsOf(m.Annotations)}
	r.mu.Lock()
	r.images[d] = mi
	r.mu.Unlock()
	return mi, nil
}

// labelsOf returns the labels among annotations.
func labelsOf(ann map[string]string) map[string]string {
	var l map[string]string
	for k, v := range ann {
		if key, ok := strings.CutPrefix(k, annLabel); ok {
			if l == nil {
				l = map[string]string{}
			}
			l[key] = v
		}
	}
	return l
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

package oci

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// Pointer returns the family pointer (registry.Registry): the image the tag <family> names,
// and the promotion history kept in the annotation of the manifest tagged <family>.history.
func (r *Registry) Pointer(ctx context.Context, family string) (*registry.Family, error) {
	current, err := r.current(ctx, family)
	if err != nil {
		return nil, err
	}
	f, _, err := r.history(ctx, family)
	if err != nil {
		return nil, err
	}
	f.Current = ""
	if current != "" {
		f.Current = r.ID(current)
	}
	return f, nil
}

// current returns the digest the family tag names, "" when there is no such tag.
func (r *Registry) current(ctx context.Context, family string) (digest.Digest, error) {
	desc, err := r.repo.Resolve(ctx, family)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", r.wrap("read family "+family, err)
	}
	return desc.Digest, nil
}

// history reads the family's promotion history and the digest of the manifest holding it
// ("" when the family was never promoted).
func (r *Registry) history(ctx context.Context, family string) (*registry.Family, digest.Digest, error) {
	desc, m, _, err := r.fetchManifest(ctx, historyTag(family))
	if isNotFound(err) {
		return &registry.Family{Name: family}, "", nil
	}
	if err != nil {
		return nil, "", r.wrap("read the history of family "+family, err)
	}
	var f registry.Family
	if m.ArtifactType != HistoryType || json.Unmarshal([]byte(m.Annotations[annHistory]), &f) != nil || f.Name != family {
		return nil, "", exitcode.New(exitcode.RecordInvalid, "read the history of family %s in %s: the manifest tagged %s is not kiln's history of %s",
			family, r.repository, historyTag(family), family)
	}
	return &f, desc.Digest, nil
}

// Point moves the family pointer to image id and appends the promotion to the history
// (registry.Registry); pointing it at its current image changes nothing. The tag moves
// first, then the history: a run killed in between leaves the pointer right and the
// history one promotion short. A move by another run at the same time is exit 3.
func (r *Registry) Point(ctx context.Context, family, id, environment string, at time.Time) (previous string, err error) {
	d, err := r.digestOf(id)
	if err != nil {
		return "", err
	}
	img, err := r.Lookup(ctx, id)
	if err != nil {
		return "", err
	}
	if img.State == registry.Deleted {
		return "", exitcode.New(exitcode.ImageNotFound, "point family %s at %s: the image was deleted on %s", family, id, day(img.Dates.Deleted))
	}
	cur, err := r.current(ctx, family)
	if err != nil {
		return "", err
	}
	if cur == d {
		return id, nil
	}
	if cur != "" {
		previous = r.ID(cur)
	}
	f, _, err := r.history(ctx, family)
	if err != nil {
		return "", err
	}
	f.Current = id
	f.History = append(f.History, registry.Promotion{ImageID: id, Environment: environment, At: at.UTC()})
	mi, err := r.image(ctx, d)
	if err != nil {
		return "", err
	}
	if err := r.repo.Tag(ctx, mi.desc, family); err != nil {
		return "", r.wrap("point family "+family+" at "+id, err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	a := map[string]string{annFamily: family, annHistory: string(data), ocispec.AnnotationCreated: formatTime(at)}
	hd, err := r.pushManifest(ctx, newManifest(HistoryType, nil, nil, a), historyTag(family))
	if err != nil {
		return "", r.wrap("record the promotion of "+id+" in family "+family, err)
	}
	now, err := r.current(ctx, family)
	if err != nil {
		return "", err
	}
	_, hnow, err := r.history(ctx, family)
	if err != nil {
		return "", err
	}
	if now != d || hnow != hd.Digest {
		return "", exitcode.New(exitcode.Locked, "point family %s at %s: another run moved the family at the same time (it now points to %s); run again", family, id, r.ID(now))
	}
	return previous, nil
}

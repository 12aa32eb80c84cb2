package oci

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// tags lists the repository's tags; a repository not yet created has none.
func (r *Registry) tags(ctx context.Context) ([]string, error) {
	var out []string
	err := r.repo.Tags(ctx, "", func(page []string) error {
		out = append(out, page...)
		return nil
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.wrap("list tags", err)
	}
	return out, nil
}

// tombstone reads the tombstone tagged tag, from memory once read: a tombstone never changes.
func (r *Registry) tombstone(ctx context.Context, tag string) (*registry.Image, error) {
	r.mu.Lock()
	img := r.tombstones[tag]
	r.mu.Unlock()
	if img != nil {
		return img, nil
	}
	_, m, _, err := r.fetchManifest(ctx, tag)
	if err != nil {
		return nil, r.wrap("read tombstone "+tag, err)
	}
	family, d, isTomb, ok := parseTag(tag)
	if !ok || !isTomb || m.ArtifactType != TombstoneType || m.Annotations[annImage] != d.String() || m.Annotations[annFamily] != family {
		return nil, fmt.Errorf("read tombstone %s in %s: it is not the tombstone of image %s", tag, r.repository, d)
	}
	a := m.Annotations
	img = &registry.Image{ID: r.ID(d), Name: a[annName], Family: family, State: registry.Deleted, Created: parseTime(a[ocispec.AnnotationCreated]),
		Dates:  registry.Dates{Deprecated: parseTime(a[annDeprecated]), Obsolete: parseTime(a[annObsolete]), Deleted: parseTime(a[annDeleted])},
		Labels: labelsOf(a), Refs: []string{r.repository + "@" + d.String()}}
	r.mu.Lock()
	r.tombstones[tag] = img
	r.mu.Unlock()
	return img, nil
}

// List returns every image of family, tombstones of DELETED images included, oldest first
// (registry.Registry). It reads the tags, then each live image's change records, several at
// a time.
func (r *Registry) List(ctx context.Context, family string) ([]registry.Image, error) {
	tags, err := r.tags(ctx)
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", family, err)
	}
	live, dead := map[digest.Digest]bool{}, map[digest.Digest]string{}
	for _, t := range tags {
		f, d, tomb, ok := parseTag(t)
		switch {
		case !ok || f != family:
		case tomb:
			dead[d] = t
		default:
			live[d] = true
		}
	}
	type job struct {
		d    digest.Digest
		tomb string
	}
	var jobs []job
	for d, t := range dead {
		jobs = append(jobs, job{d, t})
	}
	for d := range live {
		if dead[d] == "" { // a registry that refused the delete keeps the image's tag
			jobs = append(jobs, job{d, ""})
		}
	}
	out := make([]*registry.Image, len(jobs))
	err = parallel(ctx, len(jobs), func(ctx context.Context, i int) error {
		j := jobs[i]
		if j.tomb != "" {
			img, err := r.tombstone(ctx, j.tomb)
			out[i] = img
			return err
		}
		rec, err := r.record(ctx, j.d)
		if exitcode.Of(err) == exitcode.ImageNotFound {
			return nil // deleted since the tags were listed, or not a kiln image
		}
		if err != nil {
			return err
		}
		if rec.img.Family == family {
			out[i] = &rec.img
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", family, err)
	}
	var images []registry.Image
	for _, img := range out {
		if img != nil {
			images = append(images, *img)
		}
	}
	registry.SortByCreated(images)
	return images, nil
}

// Lookup returns image id (registry.Registry); a deleted image is its tombstone, DELETED.
func (r *Registry) Lookup(ctx context.Context, id string) (*registry.Image, error) {
	d, err := r.digestOf(id)
	if err != nil {
		return nil, err
	}
	rec, err := r.record(ctx, d)
	if exitcode.Of(err) == exitcode.ImageNotFound {
		if img, terr := r.findTombstone(ctx, d); terr != nil || img != nil {
			return img, terr
		}
	}
	if err != nil {
		return nil, err
	}
	img := rec.img
	return &img, nil
}

// findTombstone returns the tombstone of image d, or nil when there is none.
func (r *Registry) findTombstone(ctx context.Context, d digest.Digest) (*registry.Image, error) {
	tags, err := r.tags(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if _, td, tomb, ok := parseTag(t); ok && tomb && td == d {
			return r.tombstone(ctx, t)
		}
	}
	return nil, nil
}

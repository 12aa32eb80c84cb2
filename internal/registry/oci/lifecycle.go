package oci

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// SetState moves image id to READY, DEPRECATED or OBSOLETE with dates (registry.Registry):
// a new change record.
func (r *Registry) SetState(ctx context.Context, id string, state registry.State, dates registry.Dates) error {
	if state == registry.Deleted || state.Rank() < 0 {
		return fmt.Errorf("set state of %s: %q is not READY, DEPRECATED or OBSOLETE", id, state)
	}
	return r.change(ctx, id, "set state of", func(img *registry.Image) (change, error) {
		if img.State == registry.Deleted {
			return change{}, exitcode.New(exitcode.ImageNotFound, "set state of %s: the image was deleted on %s", id, day(img.Dates.Deleted))
		}
		return change{state: state, dates: dates}, nil
	})
}

// Label adds labels to image id (registry.Registry): a new change record. A deleted image
// takes no labels (exit 7).
func (r *Registry) Label(ctx context.Context, id string, labels map[string]string) error {
	if len(labels) == 0 {
		return nil
	}
	return r.change(ctx, id, "label", func(img *registry.Image) (change, error) {
		if img.State == registry.Deleted {
			return change{}, exitcode.New(exitcode.ImageNotFound, "label %s: the image was deleted on %s", id, day(img.Dates.Deleted))
		}
		return change{labels: labels}, nil
	})
}

// Uses reports no use: nothing but Terraform runs images from an OCI registry, and the
// caller reads the environments' Terraform states (registry.Registry).
func (r *Registry) Uses(context.Context, []registry.Image) (registry.Uses, error) {
	return registry.Uses{}, nil
}

// change pushes the change record mk returns for image id's current state, as a referrer
// of the image, with the next sequence number; a deleted image is exit 7.
func (r *Registry) change(ctx context.Context, id, op string, mk func(*registry.Image) (change, error)) error {
	d, err := r.digestOf(id)
	if err != nil {
		return err
	}
	rec, err := r.record(ctx, d)
	if exitcode.Of(err) == exitcode.ImageNotFound {
		// A tombstone says when the image was deleted.
		if img, terr := r.findTombstone(ctx, d); terr == nil && img != nil {
			if _, merr := mk(img); merr != nil {
				return merr
			}
		}
		return err
	}
	if err != nil {
		return err
	}
	c, err := mk(&rec.img)
	if err != nil {
		return err
	}
	return r.pushChange(ctx, rec, c, op)
}

// pushChange pushes c as the next change record of rec's image (pushReferrer).
func (r *Registry) pushChange(ctx context.Context, rec *record, c change, op string) error {
	c.seq, c.at = rec.lastSeq+1, r.now().UTC()
	m := newManifest(ChangeType, nil, subjectOf(rec.info.desc), c.annotations())
	return r.wrap(op+" "+rec.img.ID, r.pushReferrer(ctx, rec.info.desc, m))
}

// DefaultSettle is the least time a change waits before it checks a second time that it is
// still listed, on a registry without the referrers API (Options.Settle).
const DefaultSettle = 100 * time.Millisecond

// pushReferrer pushes m, a referrer of subject, and checks that subject's referrers list
// it. A registry without the referrers API keeps that list in a tag (sha256-<hex>) that
// oras-go rewrites for every new referrer, and the OCI distribution spec offers no
// compare-and-swap: two runs adding a referrer to one image at the same moment can each
// write a list without the other's. The run whose referrer went missing sees it, at once
// or when it looks again after twice the time its push took (at least Options.Settle), and
// pushes it again. A run delayed longer than that between reading and writing the list can
// still drop another's referrer; registries with the referrers API (Harbor, zot) add
// referrers on the server and never do.
func (r *Registry) pushReferrer(ctx context.Context, subject ocispec.Descriptor, m ocispec.Manifest) error {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		desc, err := r.pushManifest(ctx, m, "")
		if err != nil {
			return err
		}
		took := time.Since(start)
		listed, err := r.hasReferrer(ctx, subject, desc.Digest)
		if err != nil {
			return err
		}
		if listed && r.referrersTag(ctx, subject) {
			if err := sleep(ctx, max(r.settle, 2*took)); err != nil {
				return err
			}
			if listed, err = r.hasReferrer(ctx, subject, desc.Digest); err != nil {
				return err
			}
		}
		if listed {
			return nil
		}
		if attempt == 4 {
			return fmt.Errorf("referrer %s is not among %s's referrers after 5 pushes", desc.Digest, subject.Digest)
		}
		if err := sleep(ctx, time.Duration(20+rand.IntN(100))*time.Millisecond); err != nil {
			return err
		}
	}
}

// referrersTag reports whether the registry keeps subject's referrers in the tag schema's
// sha256-<hex> tag, that is, has no referrers API; the answer holds for the repository.
func (r *Registry) referrersTag(ctx context.Context, subject ocispec.Descriptor) bool {
	r.mu.Lock()
	known, tagged := r.schemaKnown, r.tagSchema
	r.mu.Unlock()
	if known {
		return tagged
	}
	_, err := r.repo.Resolve(ctx, "sha256-"+subject.Digest.Encoded())
	if err != nil && !isNotFound(err) {
		return true // cannot tell: be careful
	}
	r.mu.Lock()
	r.schemaKnown, r.tagSchema = true, err == nil
	r.mu.Unlock()
	return err == nil
}

// subjectOf is the descriptor a referrer names its subject by.
func subjectOf(d ocispec.Descriptor) *ocispec.Descriptor {
	return &ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}

// hasReferrer reports whether d is among subject's referrers.
func (r *Registry) hasReferrer(ctx context.Context, subject ocispec.Descriptor, d digest.Digest) (bool, error) {
	refs, err := r.referrers(ctx, subject)
	if err != nil {
		return false, err
	}
	for _, ref := range refs {
		if ref.Digest == d {
			return true, nil
		}
	}
	return false, nil
}

// Delete deletes image id at the given time (registry.Registry): a DELETED change record
// first, then the tombstone <family>_<hex> (what List and Lookup show of it from then on),
// then the image manifest itself where the registry allows deletes; a registry that does
// not keeps the manifest, which kiln then shows as DELETED all the same. The layers go
// with the registry's garbage collection, since another image may share them. Deleting a
// deleted image completes what a crash may have left undone.
func (r *Registry) Delete(ctx context.Context, id string, at time.Time) error {
	d, err := r.digestOf(id)
	if err != nil {
		return err
	}
	rec, err := r.record(ctx, d)
	if exitcode.Of(err) == exitcode.ImageNotFound {
		if img, terr := r.findTombstone(ctx, d); terr != nil || img != nil {
			return terr // deleted already
		}
	}
	if err != nil {
		return err
	}
	// Deleting a manifest drops every tag that names it: the family's tag too.
	if cur, err := r.current(ctx, rec.img.Family); err != nil {
		return err
	} else if cur == d {
		return exitcode.New(exitcode.Usage, "delete %s: it is family %s's current image", id, rec.img.Family)
	}
	if rec.img.State != registry.Deleted {
		dates := rec.img.Dates
		dates.Deleted = at.UTC()
		if err := r.pushChange(ctx, rec, change{state: registry.Deleted, dates: dates}, "delete"); err != nil {
			return err
		}
		rec.img.State, rec.img.Dates = registry.Deleted, dates
	}
	if err := r.pushTombstone(ctx, rec); err != nil {
		return err
	}
	err = r.repo.Delete(ctx, rec.info.desc)
	if err != nil && !isNotFound(err) && !isUnsupported(err) {
		return r.wrap("delete "+id, err)
	}
	r.mu.Lock()
	delete(r.images, d)
	r.mu.Unlock()
	return nil
}

// pushTombstone pushes what remains of a deleted image: its name, family, creation time,
// dates and labels, tagged <family>_<hex>. It refers to none of the image's layers, so that
// garbage collection can remove them.
func (r *Registry) pushTombstone(ctx context.Context, rec *record) error {
	img, d := rec.img, rec.info.desc.Digest
	a := change{state: registry.Deleted, dates: img.Dates, labels: img.Labels}.annotations()
	delete(a, annSeq)
	a[ocispec.AnnotationCreated] = formatTime(img.Created)
	a[annFamily], a[annName], a[annImage] = img.Family, img.Name, d.String()
	if _, err := r.pushManifest(ctx, newManifest(TombstoneType, nil, nil, a), tombstoneTag(img.Family, d)); err != nil {
		return r.wrap("delete "+img.ID+": push its tombstone", err)
	}
	return nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return t.UTC().Format(time.DateOnly)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

package oci

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/registry"
)

// change is one change record of an image: a new state with its dates, labels, or both.
type change struct {
	digest digest.Digest
	seq    int64
	at     time.Time
	state  registry.State // "" when the change only adds labels
	dates  registry.Dates
	labels map[string]string
}

// annotations are the change's manifest annotations.
func (c change) annotations() map[string]string {
	a := map[string]string{annSeq: strconv.FormatInt(c.seq, 10), ocispec.AnnotationCreated: formatTime(c.at)}
	if c.state != "" {
		a[annState] = string(c.state)
		for k, t := range map[string]time.Time{annDeprecated: c.dates.Deprecated, annObsolete: c.dates.Obsolete, annDeleted: c.dates.Deleted} {
			if !t.IsZero() {
				a[k] = formatTime(t)
			}
		}
	}
	for k, v := range c.labels {
		a[annLabel+k] = v
	}
	return a
}

// parseChange reads a change record from its descriptor in a referrers list, which carries
// the manifest's annotations.
func parseChange(d ocispec.Descriptor) (change, bool) {
	if d.ArtifactType != ChangeType {
		return change{}, false
	}
	a := d.Annotations
	seq, err := strconv.ParseInt(a[annSeq], 10, 64)
	if err != nil {
		return change{}, false
	}
	c := change{digest: d.Digest, seq: seq, at: parseTime(a[ocispec.AnnotationCreated]), labels: labelsOf(a)}
	if s := registry.State(a[annState]); s.Rank() >= 0 {
		c.state = s
		c.dates = registry.Dates{Deprecated: parseTime(a[annDeprecated]), Obsolete: parseTime(a[annObsolete]), Deleted: parseTime(a[annDeleted])}
	}
	return c, true
}

// record is an image with its change records folded in.
type record struct {
	info    *manifestInfo
	img     registry.Image
	lastSeq int64
}

// referrers lists image d's referrers.
func (r *Registry) referrers(ctx context.Context, subject ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	err := r.repo.Referrers(ctx, subject, "", func(page []ocispec.Descriptor) error {
		out = append(out, page...)
		return nil
	})
	if isNotFound(err) {
		return nil, nil
	}
	return out, err
}

// record reads image d and folds its change records in: the changes apply in the order of
// their sequence numbers (then time, then digest), a state replaces the state and dates
// before it, labels add to the labels before them.
func (r *Registry) record(ctx context.Context, d digest.Digest) (*record, error) {
	mi, err := r.image(ctx, d)
	if err != nil {
		return nil, err
	}
	refs, err := r.referrers(ctx, mi.desc)
	if err != nil {
		return nil, r.wrap("read the changes of "+r.ID(d), err)
	}
	var changes []change
	for _, ref := range refs {
		if c, ok := parseChange(ref); ok {
			changes = append(changes, c)
		}
	}
	sort.Slice(changes, func(i, j int) bool {
		a, b := changes[i], changes[j]
		if a.seq != b.seq {
			return a.seq < b.seq
		}
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.digest < b.digest
	})
	rec := &record{info: mi, img: registry.Image{ID: r.ID(d), Name: mi.name, Family: mi.family, State: registry.Ready,
		Created: mi.created, Labels: map[string]string{}, Refs: []string{r.repository + "@" + d.String()}}}
	for k, v := range mi.labels {
		rec.img.Labels[k] = v
	}
	for _, c := range changes {
		if c.state != "" {
			rec.img.State, rec.img.Dates = c.state, c.dates
		}
		for k, v := range c.labels {
			rec.img.Labels[k] = v
		}
		rec.lastSeq = max(rec.lastSeq, c.seq)
	}
	return rec, nil
}

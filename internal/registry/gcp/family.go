package gcp

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
)

// Pointer reads the family pointer from the images' kiln-promoted-at labels: the history
// is each promoted image at its last promotion, oldest first; the current image is the last.
func (r *Registry) Pointer(ctx context.Context, family string) (*registry.Family, error) {
	images, err := r.List(ctx, family)
	if err != nil {
		return nil, err
	}
	f, _ := r.PointerFrom(family, images)
	return f, nil
}

// PointerFrom reads the family pointer from a listing of the family (registry.PointerLister).
func (r *Registry) PointerFrom(family string, images []registry.Image) (*registry.Family, bool) {
	f := &registry.Family{Name: family}
	for _, img := range images {
		if at := promotedAt(img.Labels); !at.IsZero() {
			f.History = append(f.History, registry.Promotion{ImageID: img.ID, Environment: img.Labels[LabelPromotedEnv], At: at})
		}
	}
	sort.SliceStable(f.History, func(i, j int) bool { return f.History[i].At.Before(f.History[j].At) })
	if n := len(f.History); n > 0 {
		f.Current = f.History[n-1].ImageID
	}
	return f, true
}

// Point labels image id as promoted at the given time (one setLabels call, guarded by the
// label fingerprint), which makes it the family's current image.
func (r *Registry) Point(ctx context.Context, family, id, environment string, at time.Time) (string, error) {
	f, err := r.Pointer(ctx, family)
	if err != nil {
		return "", err
	}
	id = name(id)
	if f.Current == id {
		return id, nil
	}
	if n := len(f.History); n > 0 && !at.After(f.History[n-1].At) {
		at = f.History[n-1].At.Add(time.Second) // the label has one-second resolution
	}
	labels := map[string]string{LabelPromotedAt: strconv.FormatInt(at.Unix(), 10)}
	if environment != "" {
		labels[LabelPromotedEnv] = environment
	}
	if err := r.Label(ctx, id, labels); err != nil {
		return "", err
	}
	return f.Current, nil
}

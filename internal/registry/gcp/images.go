package gcp

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/api/compute/v1"

	"github.com/kiln-ci/kiln/internal/registry"
)

// List returns the images of the native family, oldest first.
func (r *Registry) List(ctx context.Context, family string) ([]registry.Image, error) {
	var out []registry.Image
	call := r.svc.Images.List(r.project).Filter(fmt.Sprintf("family = %q", family)).MaxResults(PageSize)
	err := call.Pages(ctx, func(page *compute.ImageList) error {
		for _, img := range page.Items {
			out = append(out, r.generic(img))
		}
		return nil
	})
	if err != nil {
		return nil, apiError(err, family, "list images of family")
	}
	registry.SortByCreated(out)
	return out, nil
}

// Lookup returns image id (a name, a projects/.../images/NAME path or a self link).
func (r *Registry) Lookup(ctx context.Context, id string) (*registry.Image, error) {
	img, err := r.svc.Images.Get(r.project, name(id)).Context(ctx).Do()
	if err != nil {
		return nil, apiError(err, id, "get image")
	}
	g := r.generic(img)
	return &g, nil
}

// SetState deprecates, obsoletes or (READY) un-deprecates image id, with the dates.
func (r *Registry) SetState(ctx context.Context, id string, state registry.State, dates registry.Dates) error {
	st := &compute.DeprecationStatus{State: "ACTIVE"}
	switch state {
	case registry.Ready:
	case registry.Deprecated, registry.Obsolete:
		st = &compute.DeprecationStatus{State: string(state), Deprecated: stamp(dates.Deprecated),
			Obsolete: stamp(dates.Obsolete), Deleted: stamp(dates.Deleted)}
	default:
		return fmt.Errorf("set state of %s: %q is not READY, DEPRECATED or OBSOLETE", id, state)
	}
	op, err := r.svc.Images.Deprecate(r.project, name(id), st).Context(ctx).Do()
	if err != nil {
		return apiError(err, id, "deprecate image")
	}
	return r.wait(ctx, op, "deprecate image "+id)
}

// Delete deletes image id and waits for the operation to finish.
func (r *Registry) Delete(ctx context.Context, id string, _ time.Time) error {
	op, err := r.svc.Images.Delete(r.project, name(id)).Context(ctx).Do()
	if err != nil {
		return apiError(err, id, "delete image")
	}
	return r.wait(ctx, op, "delete image "+id)
}

// Label adds labels to image id; keys and values are mapped into GCP's label rules. The
// label fingerprint guards against a concurrent change (exit 3).
func (r *Registry) Label(ctx context.Context, id string, labels map[string]string) error {
	img, err := r.svc.Images.Get(r.project, name(id)).Context(ctx).Do()
	if err != nil {
		return apiError(err, id, "label image")
	}
	merged := map[string]string{}
	for k, v := range img.Labels {
		merged[k] = v
	}
	for k, v := range labels {
		merged[registry.LabelValue(k)] = registry.LabelValue(v)
	}
	req := &compute.GlobalSetLabelsRequest{Labels: merged, LabelFingerprint: img.LabelFingerprint}
	op, err := r.svc.Images.SetLabels(r.project, img.Name, req).Context(ctx).Do()
	if err != nil {
		return apiError(err, id, "label image")
	}
	return r.wait(ctx, op, "label image "+id)
}

// generic converts an API image; its refs are the paths and links that name it.
func (r *Registry) generic(img *compute.Image) registry.Image {
	g := registry.Image{ID: img.Name, Name: img.Name, Family: img.Family, State: registry.Ready,
		Created: parseStamp(img.CreationTimestamp), Labels: img.Labels}
	if d := img.Deprecated; d != nil {
		switch registry.State(d.State) {
		case registry.Deprecated, registry.Obsolete, registry.Deleted:
			g.State = registry.State(d.State)
		}
		g.Dates = registry.Dates{Deprecated: parseStamp(d.Deprecated), Obsolete: parseStamp(d.Obsolete), Deleted: parseStamp(d.Deleted)}
	}
	path := "projects/" + r.project + "/global/images/" + img.Name
	g.Refs = []string{"global/images/" + img.Name, path,
		"https://www.googleapis.com/compute/v1/" + path, "https://compute.googleapis.com/compute/v1/" + path}
	if img.SelfLink != "" {
		g.Refs = append(g.Refs, img.SelfLink)
	}
	return g
}

// promotedAt reads the pointer label, zero when the image was never promoted.
func promotedAt(labels map[string]string) time.Time {
	s, err := strconv.ParseInt(labels[LabelPromotedAt], 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func parseStamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

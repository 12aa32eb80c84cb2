package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
)

// UsesFunc finds uses of candidate images that the registry itself cannot see, such as the
// images named in the environments' Terraform states.
type UsesFunc func(ctx context.Context, candidates []registry.Image) registry.Uses

// Rotation plans the rotation of one family at one moment.
type Rotation struct {
	Registry registry.Registry
	Family   string
	Policy   Policy
	Now      time.Time
	// Uses adds uses the registry cannot see; nil adds none.
	Uses UsesFunc
}

// Plan lists the family's images, reads its pointer, and decides each image's fate: first
// without regard to use, then, for the images that would move, with their uses from the
// registry and from r.Uses. A failed lookup of use keeps those images (the plan says why).
func (r Rotation) Plan(ctx context.Context) ([]Row, error) {
	images, err := r.Registry.List(ctx, r.Family)
	if err != nil {
		return nil, fmt.Errorf("rotate %s: %w", r.Family, err)
	}
	fam, err := r.pointer(ctx, images)
	if err != nil {
		return nil, fmt.Errorf("rotate %s: %w", r.Family, err)
	}
	rows := Plan(images, fam, r.Policy, r.Now, nil)
	candidates := Candidates(rows)
	if len(candidates) == 0 {
		return rows, nil
	}
	uses, err := r.Registry.Uses(ctx, candidates)
	if err != nil {
		uses = registry.Uses{}
		uses.UnknownAll(candidates, fmt.Sprintf("%s registry: %v", r.Registry.Type(), err))
	}
	if r.Uses != nil {
		uses.Merge(r.Uses(ctx, candidates))
	}
	return Plan(images, fam, r.Policy, r.Now, &uses), nil
}

// pointer reads the family pointer, from the listing when the registry keeps it there.
func (r Rotation) pointer(ctx context.Context, images []registry.Image) (*registry.Family, error) {
	if pl, ok := r.Registry.(registry.PointerLister); ok {
		if f, ok := pl.PointerFrom(r.Family, images); ok {
			return f, nil
		}
	}
	return r.Registry.Pointer(ctx, r.Family)
}

package gate

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
)

// Rollback returns the image kiln-rollback may return family fam to: id must be in the
// family's promotion history, of kiln.yaml's family, not OBSOLETE or DELETED; with an
// attest block, att (the image's attestation, nil when none was found) must verify and
// vouch for passing tests of that image and family in the test environment, with kiln.yaml's
// current test block unless olderChecks. It also returns the baked package digest the
// verified attestation vouches for ("" without one).
func (g *Gate) Rollback(ctx context.Context, fam *registry.Family, id string, att *record.Envelope, olderChecks bool) (*registry.Image, string, error) {
	img, err := g.registered(ctx, "rollback", id)
	if err != nil {
		return nil, "", err
	}
	if !slices.ContainsFunc(fam.History, func(p registry.Promotion) bool { return p.ImageID == id }) {
		return nil, "", refused("rollback", "image %s was never promoted in family %s: kiln-rollback returns only to an image of its promotion history", id, fam.Name)
	}
	if g.Verify == nil {
		return img, "", nil
	}
	if att == nil {
		return nil, "", refused("rollback", "no signed test attestation of image %s was found, and kiln.yaml's attest block requires one (pass --attestation with its kiln-image.json)", id)
	}
	p, err := g.Verify(ctx, att)
	if vaultFailed(err) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", refused("rollback", "the attestation of image %s does not verify: %v", id, err)
	}
	switch {
	case p.ImageID != id:
		return nil, "", refused("rollback", "the attestation names image %s, not %s", p.ImageID, id)
	case p.Family != g.Config.Image.Family:
		return nil, "", refused("rollback", "the attestation of image %s names family %s, not %s", id, p.Family, g.Config.Image.Family)
	case p.Status != record.StatusPassed || p.Total == 0 || p.Failed > 0:
		return nil, "", refused("rollback", "the attestation of image %s vouches for failed tests (%d of %d checks failed)", id, p.Failed, p.Total)
	case p.Environment != g.Config.Test.Environment:
		return nil, "", refused("rollback", "the attestation of image %s vouches for tests in %s, not %s", id, p.Environment, g.Config.Test.Environment)
	case p.ChecksDigest != g.Config.ChecksDigest() && !olderChecks:
		return nil, "", refused("rollback", "image %s was tested with another test block than kiln.yaml's now "+
			"(pass --allow-older-checks to return to it all the same)", id)
	}
	return img, p.PackagesDigest, nil
}

// RollbackTarget returns the image kiln-rollback returns family fam to by default: the image
// of the latest promotion that is not the current image, skipping images revoked at now or
// gone from the registry; "" when there is none.
func RollbackTarget(ctx context.Context, reg registry.Registry, fam *registry.Family, now time.Time) (string, error) {
	seen := map[string]bool{fam.Current: true}
	for i := len(fam.History) - 1; i >= 0; i-- {
		id := fam.History[i].ImageID
		if seen[id] {
			continue
		}
		seen[id] = true
		img, err := reg.Lookup(ctx, id)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, revoked := registry.Revoked(img, now); revoked {
			continue
		}
		return id, nil
	}
	return "", nil
}

// Package gate is the promotion gate: the one place that decides whether an image may reach
// the promote environment. kiln-promote, kiln-rollback and kiln-deploy-dev go through it;
// every refusal is exit 8 (exitcode.PromotionRefused) with one line saying why; an image the
// registry does not hold (or holds tampered with) is exit 7.
//
// What it holds, for kiln-promote: the record is of kiln.yaml's family; its tests passed
// for its exact image id, in test.environment, with kiln.yaml's current test block, against
// a Terraform state the record shows that image deployed to; with an attest block, a valid
// signed attestation says the same; the registry holds the image, not OBSOLETE, DELETED or
// revoked (kiln-revoke);
// and the promotion does not move the family pointer to an image older than its current
// one (that is kiln-rollback's job). For kiln-rollback: the image is in the family's
// promotion history, of that family, not OBSOLETE or DELETED, and with an attest block its
// attestation verifies.
package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
)

// VerifyFunc verifies a signed attestation and returns what it vouches for.
type VerifyFunc func(ctx context.Context, env *record.Envelope) (*attest.Predicate, error)

// Gate checks candidates against kiln.yaml and the registry.
type Gate struct {
	Config   *config.Config
	Registry registry.Registry
	// Verify checks attestations; nil when kiln.yaml has no attest block.
	Verify VerifyFunc
	// Warn receives one-line warnings (a DEPRECATED image).
	Warn func(format string, args ...any)
	// Now is the time revocations are judged at (time.Now when nil).
	Now func() time.Time
}

// Revoked refuses (exit 8, naming when, who and why) an image revoked at now, for binary.
func Revoked(img *registry.Image, now time.Time, prefix string) error {
	if rv, ok := registry.Revoked(img, now); ok {
		return refused(prefix, "image %s is %s", img.ID, rv)
	}
	return nil
}

// refused is a promotion refusal: exit 8, one line.
func refused(prefix, format string, args ...any) error {
	return exitcode.New(exitcode.PromotionRefused, "%s refused: %s", prefix, fmt.Sprintf(format, args...))
}

// Promotion returns nil when rec may be promoted, else why not.
func (g *Gate) Promotion(ctx context.Context, rec *record.Record) error {
	if err := g.tested(rec); err != nil {
		return err
	}
	if err := g.attested(ctx, rec); err != nil {
		return err
	}
	img, err := g.registered(ctx, "promotion", rec.Image.ID)
	if err != nil {
		return err
	}
	return g.forward(ctx, img)
}

// tested checks the record's own account of its tests against kiln.yaml.
func (g *Gate) tested(rec *record.Record) error {
	cfg, id := g.Config, rec.Image.ID
	family, testEnv := cfg.Image.Family, cfg.Test.Environment
	if rec.Image.Family != family {
		return refused("promotion", "image %s belongs to family %s, and kiln.yaml promotes family %s", id, rec.Image.Family, family)
	}
	if err := rec.TestedOK(); err != nil {
		return refused("promotion", "%v", err)
	}
	t := rec.Tests
	switch {
	case t.Environment != testEnv:
		return refused("promotion", "image %s was tested in %s, not in test.environment %s", id, t.Environment, testEnv)
	case t.Family != family:
		return refused("promotion", "the tests of image %s name family %q, not %s (test it again with this kiln)", id, t.Family, family)
	case t.ChecksDigest != cfg.ChecksDigest():
		return refused("promotion", "the tests of image %s ran another test block than kiln.yaml's (%s, now %s): test it again", id, orNone(t.ChecksDigest), cfg.ChecksDigest())
	}
	d := rec.Deployment(testEnv)
	switch {
	case d == nil || d.ImageID != id:
		return refused("promotion", "the record shows no deployment of image %s in %s", id, testEnv)
	case t.StateLineage == "" || t.StateLineage != d.StateLineage:
		return refused("promotion", "the tests of image %s are not bound to its deployment in %s (state lineage %s, deployed %s)",
			id, testEnv, orNone(t.StateLineage), orNone(d.StateLineage))
	case t.StateSerial < d.StateSerial:
		return refused("promotion", "the tests of image %s ran against state serial %d of %s, before its deployment (serial %d): test it again",
			id, t.StateSerial, testEnv, d.StateSerial)
	case t.StateDigest == "" || t.StateDigest != d.StateDigest:
		return refused("promotion", "the tests of image %s ran against another Terraform state of %s than its deployment left: test it again", id, testEnv)
	}
	return nil
}

// attested verifies the record's attestation, when kiln.yaml asks for one, and that it
// vouches for what the record says.
func (g *Gate) attested(ctx context.Context, rec *record.Record) error {
	if g.Verify == nil {
		return nil
	}
	id, t := rec.Image.ID, rec.Tests
	if t.Attestation == nil {
		return refused("promotion", "the tests of image %s carry no signed attestation, and kiln.yaml's attest block requires one", id)
	}
	p, err := g.Verify(ctx, t.Attestation)
	if vaultFailed(err) {
		return err
	}
	if err != nil {
		return refused("promotion", "the attestation of image %s does not verify: %v", id, err)
	}
	cfg := g.Config
	for _, c := range []struct{ what, got, want string }{
		{"image", p.ImageID, id},
		{"family", p.Family, cfg.Image.Family},
		{"environment", p.Environment, cfg.Test.Environment},
		{"checks digest", p.ChecksDigest, cfg.ChecksDigest()},
		{"status", p.Status, record.StatusPassed},
		{"state lineage", p.StateLineage, t.StateLineage},
		{"state serial", fmt.Sprint(p.StateSerial), fmt.Sprint(t.StateSerial)},
		{"state digest", p.StateDigest, t.StateDigest},
		{"source commit", p.SourceCommit, rec.Source.Commit},
		{"package digest", p.PackagesDigest, rec.Image.PackagesDigest},
	} {
		if c.got != c.want {
			return refused("promotion", "the attestation of image %s vouches for %s %q, not %q", id, c.what, c.got, c.want)
		}
	}
	if p.Total == 0 || p.Failed > 0 {
		return refused("promotion", "the attestation of image %s vouches for %d failed of %d checks", id, p.Failed, p.Total)
	}
	return nil
}

// registered looks the image up: the registry must hold it, of this family, usable.
func (g *Gate) registered(ctx context.Context, prefix, id string) (*registry.Image, error) {
	img, err := g.Registry.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	family := g.Config.Image.Family
	state := registry.State(strings.ToUpper(string(img.State)))
	if state.Rank() < 0 {
		return nil, refused(prefix, "image %s has the unknown lifecycle state %q", id, img.State)
	}
	img.State = state
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	if err := Revoked(img, now(), prefix); err != nil {
		return nil, err
	}
	switch img.State {
	case registry.Obsolete, registry.Deleted:
		since := ""
		if d := img.Dates.Of(img.State); !d.IsZero() {
			since = " since " + d.UTC().Format("2006-01-02")
		}
		return nil, refused(prefix, "image %s is %s%s", id, img.State, since)
	case registry.Deprecated:
		if g.Warn != nil {
			g.Warn("warning: image %s is DEPRECATED", id)
		}
	}
	if img.Family != "" && img.Family != family {
		return nil, refused(prefix, "image %s belongs to family %s, not %s", id, img.Family, family)
	}
	return img, nil
}

// forward refuses a promotion that would point the family at an image older than its
// current one.
func (g *Gate) forward(ctx context.Context, img *registry.Image) error {
	fam, err := g.Registry.Pointer(ctx, g.Config.Image.Family)
	if err != nil {
		return err
	}
	if fam.Current == "" || fam.Current == img.ID {
		return nil
	}
	cur, err := g.Registry.Lookup(ctx, fam.Current)
	if err != nil || !cur.Created.After(img.Created) {
		return nil // the current image is gone or older: moving to img is forward
	}
	return refused("promotion", "image %s is older than %s, family %s's current image: "+
		"moving the pointer back is kiln-rollback's job (kiln-rollback --to %s)", img.ID, cur.ID, fam.Name, img.ID)
}

// vaultFailed reports whether err is Vault failing (exit 4 or 5) rather than a signature
// that does not verify: that is no verdict on the image.
func vaultFailed(err error) bool {
	c := exitcode.Of(err)
	return err != nil && (c == exitcode.VaultUnavailable || c == exitcode.VaultDenied)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

package registry

import (
	"fmt"
	"strconv"
	"time"
)

// The labels that revoke an image (kiln-revoke): from LabelRevokedAt on, kiln-deploy-dev,
// kiln-promote and kiln-rollback refuse it (exit 8), whatever its lifecycle state. They are
// plain labels (local metadata, GCP labels, AWS tags), so that any registry keeps them and
// any runner sees them.
const (
	LabelRevokedAt     = "kiln-revoked-at"     // Unix seconds: from when the image is refused
	LabelRevokedBy     = "kiln-revoked-by"     // who revoked it (the CI user and job, or the user)
	LabelRevokedReason = "kiln-revoked-reason" // why, in label form on GCP
)

// Revocation is an image's revocation.
type Revocation struct {
	At     time.Time
	By     string
	Reason string
}

// RevocationOf returns the revocation an image's labels hold, if any (in effect or
// scheduled).
func RevocationOf(img *Image) (Revocation, bool) {
	if img == nil || img.Labels[LabelRevokedAt] == "" {
		return Revocation{}, false
	}
	rv := Revocation{By: img.Labels[LabelRevokedBy], Reason: img.Labels[LabelRevokedReason]}
	if n, err := strconv.ParseInt(img.Labels[LabelRevokedAt], 10, 64); err == nil {
		rv.At = time.Unix(n, 0).UTC()
	}
	return rv, true
}

// InEffect reports whether the revocation applies at now (a malformed date does: an image
// someone meant to revoke is refused).
func (rv Revocation) InEffect(now time.Time) bool { return !now.Before(rv.At) }

// Labels are the labels that record rv.
func (rv Revocation) Labels() map[string]string {
	return map[string]string{
		LabelRevokedAt:     strconv.FormatInt(rv.At.Unix(), 10),
		LabelRevokedBy:     rv.By,
		LabelRevokedReason: rv.Reason,
	}
}

func (rv Revocation) String() string {
	s := fmt.Sprintf("revoked %s", rv.At.Format(time.RFC3339))
	if rv.By != "" {
		s += " by " + rv.By
	}
	if rv.Reason != "" {
		s += ": " + rv.Reason
	}
	return s
}

// Revoked returns whether img is revoked at now, and the revocation.
func Revoked(img *Image, now time.Time) (Revocation, bool) {
	rv, ok := RevocationOf(img)
	return rv, ok && rv.InEffect(now)
}

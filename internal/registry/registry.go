// Package registry defines what kiln needs from an image registry, whatever keeps the
// images: list a family's images with their lifecycle state and dates, read and move the
// family pointer with its promotion history, retire images (DEPRECATED, OBSOLETE, DELETED)
// and find which images are in use. The adapters live in local/ (a directory), gcp/
// (Compute Engine images), aws/ (EC2 AMIs) and oci/ (file images in an OCI registry);
// open/ picks one from kiln.yaml.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// State is an image's lifecycle state. An image only moves forward, one state at a time,
// except that kiln-rollback may make a DEPRECATED image READY again.
type State string

// The lifecycle states, in order.
const (
	Ready      State = "READY"      // usable
	Deprecated State = "DEPRECATED" // usable, but due to retire; clouds warn on use
	Obsolete   State = "OBSOLETE"   // no new instance may start from it
	Deleted    State = "DELETED"    // gone (the local registry keeps its metadata)
)

// Rank orders the states: READY 0, DEPRECATED 1, OBSOLETE 2, DELETED 3; -1 for others.
func (s State) Rank() int {
	switch s {
	case Ready:
		return 0
	case Deprecated:
		return 1
	case Obsolete:
		return 2
	case Deleted:
		return 3
	}
	return -1
}

// Next is the state after s, or "" after DELETED.
func (s State) Next() State {
	switch s {
	case Ready:
		return Deprecated
	case Deprecated:
		return Obsolete
	case Obsolete:
		return Deleted
	}
	return ""
}

// Dates are when an image entered each retired state or, for a state it has not reached,
// when it is planned to (as GCP's DeprecationStatus keeps them). Zero means unknown.
type Dates struct {
	Deprecated time.Time `json:"deprecated,omitzero"`
	Obsolete   time.Time `json:"obsolete,omitzero"`
	Deleted    time.Time `json:"deleted,omitzero"`
}

// Of returns the date of state s (zero for READY).
func (d Dates) Of(s State) time.Time {
	switch s {
	case Deprecated:
		return d.Deprecated
	case Obsolete:
		return d.Obsolete
	case Deleted:
		return d.Deleted
	}
	return time.Time{}
}

// Image is one image of a family as a registry reports it.
type Image struct {
	ID      string // what deploys use: local:sha256:<hex>, us-east-1:ami-..., a GCP image name
	Name    string
	Family  string
	State   State
	Created time.Time
	Dates   Dates
	Labels  map[string]string
	// Refs are the other strings a configuration may name the image by (ami-..., a GCP
	// self link); a Terraform state holding any of them, or ID, uses the image.
	Refs []string
}

// OwnedInstance is an instance that a kiln tool started (a Packer build VM, a dev
// environment's instance), found by the owner labels it carries (AWS tags, GCP labels):
// kiln-run, kiln-step, kiln-created, kiln-expires and, in CI, kiln-pipeline.
type OwnedInstance struct {
	ID      string            // what the cloud calls it: i-0abc... on AWS, the numeric id on GCP
	Name    string            // the Name tag on AWS, the instance name on GCP
	Zone    string            // the availability zone (AWS) or zone (GCP)
	Labels  map[string]string // every tag or label, owner labels included
	Created time.Time         // the launch (AWS) or creation (GCP) time the API reports
}

// Promotion is one move of a family pointer.
type Promotion struct {
	ImageID     string    `json:"image_id"`
	Environment string    `json:"environment,omitempty"`
	At          time.Time `json:"at"`
}

// Family is a family pointer: its current image and its promotions, oldest first.
type Family struct {
	Name    string      `json:"name"`
	Current string      `json:"current"`
	History []Promotion `json:"history"`
}

// Previous returns the image kiln-rollback returns to: the image of the latest promotion
// that is not the current image, or "" when there is none. Rolling back twice therefore
// returns to where it started.
func (f *Family) Previous() string {
	for i := len(f.History) - 1; i >= 0; i-- {
		if id := f.History[i].ImageID; id != f.Current {
			return id
		}
	}
	return ""
}

// Registry is an image store with families, lifecycle states and in-use discovery.
type Registry interface {
	// Type is the registry type of kiln.yaml: local, gcp, aws or oci.
	Type() string
	// List returns every image of family, whatever its state, oldest first.
	List(ctx context.Context, family string) ([]Image, error)
	// Lookup returns one image; an unknown id is ErrNotFound (exit 7).
	Lookup(ctx context.Context, id string) (*Image, error)
	// Pointer returns the family pointer and its promotion history.
	Pointer(ctx context.Context, family string) (*Family, error)
	// Point moves the family pointer to image id, recording the environment and the time,
	// and returns the image it pointed to before. A concurrent move is exit 3.
	Point(ctx context.Context, family, id, environment string, at time.Time) (previous string, err error)
	// SetState moves image id to READY, DEPRECATED or OBSOLETE with the given dates.
	SetState(ctx context.Context, id string, state State, dates Dates) error
	// Delete deletes image id (and, on AWS, its snapshots) at the given time.
	Delete(ctx context.Context, id string, at time.Time) error
	// Label adds labels to image id, within the registry's rules for labels.
	Label(ctx context.Context, id string, labels map[string]string) error
	// Uses reports which of images the registry's own resources use (instances, instance
	// or launch templates, groups), and which could not be checked and why.
	Uses(ctx context.Context, images []Image) (Uses, error)
}

// PointerLister is implemented by registries whose family pointer lives on the images
// themselves: it reads the pointer from a listing already made, saving a second one. ok is
// false when the pointer is kept elsewhere (an SSM parameter).
type PointerLister interface {
	PointerFrom(family string, images []Image) (f *Family, ok bool)
}

// Locker is implemented by registries that lock a family for the length of a rotation.
type Locker interface {
	// Lock takes the family's lock, or fails with exit 3 when another run holds it.
	Lock(ctx context.Context, family string) (unlock func(), err error)
}

// Attestations is implemented by registries that keep the signed test attestation of each
// promoted image, so that kiln-rollback can verify an image it returns to. The attestation
// is a DSSE envelope as JSON; its signature, not the registry, makes it trustworthy.
type Attestations interface {
	// PutAttestation keeps env as image id's attestation.
	PutAttestation(ctx context.Context, id string, env []byte) error
	// Attestation returns image id's attestation, or nil when there is none.
	Attestation(ctx context.Context, id string) ([]byte, error)
}

// ErrNotFound is returned, with exit code 7, for an image a registry does not hold.
var ErrNotFound = errors.New("image not found")

// NotFound returns an ErrNotFound error with exit code 7 naming id and where it was looked for.
func NotFound(id, where string) error {
	return exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("image %s is not in %s: %w", id, where, ErrNotFound))
}

// SortByCreated sorts images oldest first, by id when two were created at the same time.
func SortByCreated(images []Image) {
	sort.SliceStable(images, func(i, j int) bool {
		if !images[i].Created.Equal(images[j].Created) {
			return images[i].Created.Before(images[j].Created)
		}
		return images[i].ID < images[j].ID
	})
}

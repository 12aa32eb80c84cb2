// Package oci is the OCI registry adapter: VM images kept as OCI artifacts in any registry
// that speaks the OCI distribution spec (a GitLab project's container registry, GHCR,
// Harbor, ECR, Artifact Registry, CNCF Distribution), through oras-go. Image ids are the
// manifest digests: oci:<host>/<path>@sha256:<hex>. Deploys pull by digest into a local
// content-addressed cache (pull.go).
//
// What lives where in the repository (docs/oci-registry.md has the full page):
//
//	<family>.<hex>        tag of each image manifest (artifactType ArtifactType): one layer
//	                      per file (disk first, then kernel and initrd), annotations with the
//	                      name, family, creation time and provenance labels
//	referrers of an image change records (ChangeType: lifecycle state and dates, labels),
//	                      newest wins; attestations (AttestationType)
//	<family>              the family pointer: the current image's manifest, moved only by Point
//	<family>.history      the promotion history, an annotation of a small manifest
//	<family>_<hex>        tombstone of a DELETED image, self-contained
//
// A manifest cannot change, so an image's state is the fold of its change records (each is
// a referrer, an OCI manifest whose subject is the image), ordered by a sequence number.
package oci

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// IDPrefix starts every OCI image id: oci:<repository>@sha256:<hex>.
const IDPrefix = "oci:"

// The artifact and media types kiln pushes.
const (
	ArtifactType    = "application/vnd.kiln.vm-image.v1+json"           // an image manifest
	FileMediaType   = "application/vnd.kiln.vm-image.file.v1"           // one file of an image (a layer)
	ChangeType      = "application/vnd.kiln.vm-image.change.v1+json"    // a state or label change, referrer of an image
	TombstoneType   = "application/vnd.kiln.vm-image.tombstone.v1+json" // what remains of a DELETED image
	HistoryType     = "application/vnd.kiln.family.history.v1+json"     // a family's promotion history
	AttestationType = "application/vnd.kiln.attestation.v1+json"        // a test attestation, referrer of an image
	DSSEMediaType   = "application/vnd.dsse.envelope.v1+json"           // the attestation's layer
)

// The annotations kiln writes; labels are annLabel + key.
const (
	annPrefix     = "dev.kiln-ci."
	annFamily     = annPrefix + "family"
	annName       = annPrefix + "name"
	annLabel      = annPrefix + "label."
	annState      = annPrefix + "state"
	annDeprecated = annPrefix + "deprecated"
	annObsolete   = annPrefix + "obsolete"
	annDeleted    = annPrefix + "deleted"
	annSeq        = annPrefix + "seq"
	annImage      = annPrefix + "image"
	annHistory    = annPrefix + "history"
)

// Registry is an OCI repository holding kiln's images.
type Registry struct {
	repository string // host[:port]/path
	repo       *remote.Repository
	now        func() time.Time
	cacheDir   string // the pull cache
	settle     time.Duration
	credSource string // where the credentials came from, for messages (never the secret)

	mu         sync.Mutex
	images     map[digest.Digest]*manifestInfo // image manifests, which never change
	tombstones map[string]*registry.Image      // by tag
	emptyDone  bool                            // the empty config blob is in the repository
	// schemaKnown says whether tagSchema is known: the repository keeps referrers in tags.
	schemaKnown, tagSchema bool
}

var (
	_ registry.Registry     = (*Registry)(nil)
	_ registry.Attestations = (*Registry)(nil)
)

// Type is "oci".
func (r *Registry) Type() string { return "oci" }

// Repository is the repository the registry works on, host[:port]/path.
func (r *Registry) Repository() string { return r.repository }

// CredentialSource says where the registry's credentials came from (never the secret).
func (r *Registry) CredentialSource() string { return r.credSource }

// CacheDir is where pulled images are cached (Pull).
func (r *Registry) CacheDir() string { return r.cacheDir }

// ID is the image id of manifest digest d in this repository.
func (r *Registry) ID(d digest.Digest) string { return IDPrefix + r.repository + "@" + d.String() }

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseID splits an OCI image id into its repository and manifest digest.
func ParseID(id string) (repository string, d digest.Digest, ok bool) {
	rest, found := strings.CutPrefix(id, IDPrefix)
	if !found {
		return "", "", false
	}
	repository, ds, found := strings.Cut(rest, "@sha256:")
	if !found || repository == "" || !hexRE.MatchString(ds) {
		return "", "", false
	}
	return repository, digest.NewDigestFromEncoded(digest.SHA256, ds), true
}

// digestOf returns the manifest digest of id, or exit 7 when id is not an image of this
// repository.
func (r *Registry) digestOf(id string) (digest.Digest, error) {
	repo, d, ok := ParseID(id)
	if !ok {
		return "", exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("%q is not an OCI image id (%s<host>/<path>@sha256:<64 hex digits>): %w", id, IDPrefix, registry.ErrNotFound))
	}
	if repo != r.repository {
		return "", exitcode.Wrap(exitcode.ImageNotFound, fmt.Errorf("image %s is in repository %s, not in %s (registry.repository, KILN_REGISTRY_REPOSITORY): %w", id, repo, r.repository, registry.ErrNotFound))
	}
	return d, nil
}

// imageTag is the tag of image d of family: <family>.<hex>.
func imageTag(family string, d digest.Digest) string { return family + "." + d.Encoded() }

// tombstoneTag is the tag of image d's tombstone once it is deleted: <family>_<hex>.
func tombstoneTag(family string, d digest.Digest) string { return family + "_" + d.Encoded() }

// historyTag is the tag of family's promotion history.
func historyTag(family string) string { return family + ".history" }

// parseTag returns the family and digest an image or tombstone tag names.
func parseTag(tag string) (family string, d digest.Digest, tombstone, ok bool) {
	if len(tag) < 66 {
		return "", "", false, false
	}
	sep, hex := tag[len(tag)-65], tag[len(tag)-64:]
	if (sep != '.' && sep != '_') || !hexRE.MatchString(hex) {
		return "", "", false, false
	}
	return tag[:len(tag)-65], digest.NewDigestFromEncoded(digest.SHA256, hex), sep == '_', true
}

// isNotFound reports whether err is the registry's "no such manifest, blob, tag or
// repository".
func isNotFound(err error) bool {
	if errors.Is(err, errdef.ErrNotFound) {
		return true
	}
	var er *errcode.ErrorResponse
	return errors.As(err, &er) && er.StatusCode == http.StatusNotFound
}

// isUnsupported reports whether err is a registry refusing an operation it does not offer
// or allow (a DELETE on a registry with deletes disabled).
func isUnsupported(err error) bool {
	if errors.Is(err, errdef.ErrUnsupported) {
		return true
	}
	var er *errcode.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	switch er.StatusCode {
	case http.StatusMethodNotAllowed, http.StatusForbidden, http.StatusNotImplemented:
		return true
	}
	for _, e := range er.Errors {
		if e.Code == errcode.ErrorCodeUnsupported || e.Code == errcode.ErrorCodeDenied {
			return true
		}
	}
	return false
}

// wrap names the operation and the repository in a registry error, and where credentials
// come from when the registry refused them.
func (r *Registry) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var er *errcode.ErrorResponse
	if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%s in %s: %w (credentials: %s; %s)", op, r.repository, err, r.credSource, credentialHelp)
	}
	return fmt.Errorf("%s in %s: %w", op, r.repository, err)
}

// manifestDesc describes a manifest's JSON.
func manifestDesc(data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

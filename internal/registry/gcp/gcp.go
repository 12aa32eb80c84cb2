// Package gcp is the registry of Compute Engine images (google.golang.org/api/compute/v1):
// a family's images are the images of the native image family, lifecycle states are
// images.deprecate's DeprecationStatus (state and the deprecated, obsolete and deleted
// dates), and DELETED is images.delete. The family pointer is a label: the image promoted
// last carries the latest kiln-promoted-at (Unix seconds), so the promotion history is the
// family's images ordered by that label. The native family still resolves to the newest
// image that is not deprecated; deploys take kiln's exact image ids, never the family.
//
// In use are the images of attached disks (instances), of instance templates, and of
// the templates that managed instance groups run.
//
// The instances kiln's tools start carry the kiln-run label; OwnedInstances lists them and
// TerminateInstances deletes them, for kiln-sweep.
package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// The labels that hold the family pointer.
const (
	LabelPromotedAt  = "kiln-promoted-at"  // Unix seconds of the image's last promotion
	LabelPromotedEnv = "kiln-promoted-env" // the environment it was promoted to
)

// PageSize is how many items kiln asks for per list call (the API's maximum).
const PageSize = 500

// Options configure the client.
type Options struct {
	Project string
	// Endpoint replaces https://compute.googleapis.com/compute/v1/ (a private endpoint, a fake).
	Endpoint string
	// HTTPClient is used as given (no authentication is added) when set.
	HTTPClient *http.Client
	// Token is an OAuth2 access token (GOOGLE_OAUTH_ACCESS_TOKEN, as Vault's GCP secrets
	// engine issues); without it and without HTTPClient, Application Default Credentials.
	Token string
}

// Registry is a project's Compute Engine images.
type Registry struct {
	project string
	svc     *compute.Service
}

var _ registry.Registry = (*Registry)(nil)

// New returns the registry of o.Project.
func New(ctx context.Context, o Options) (*Registry, error) {
	if o.Project == "" {
		return nil, exitcode.New(exitcode.Usage, "registry gcp: no project: set registry.project in kiln.yaml or GOOGLE_CLOUD_PROJECT")
	}
	var opts []option.ClientOption
	if o.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(o.Endpoint, "/")+"/"))
	}
	switch {
	case o.HTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	case o.Token != "":
		opts = append(opts, option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.Token, TokenType: "Bearer"})))
	}
	svc, err := compute.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("registry gcp: %w", err)
	}
	return &Registry{project: o.Project, svc: svc}, nil
}

// Type is "gcp".
func (r *Registry) Type() string { return "gcp" }

// wait waits for a global or zonal operation to finish and returns its error, if any.
func (r *Registry) wait(ctx context.Context, op *compute.Operation, what string) error {
	for op.Status != "DONE" {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		var next *compute.Operation
		var err error
		if op.Zone != "" {
			next, err = r.svc.ZoneOperations.Wait(r.project, lastPart(op.Zone), op.Name).Context(ctx).Do()
		} else {
			next, err = r.svc.GlobalOperations.Wait(r.project, op.Name).Context(ctx).Do()
		}
		if err != nil {
			return fmt.Errorf("%s: wait for operation %s: %w", what, op.Name, err)
		}
		op = next
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		e := op.Error.Errors[0]
		return fmt.Errorf("%s: %s: %s", what, e.Code, e.Message)
	}
	return nil
}

// apiError maps the API's errors: 404 is exit 7, 412 (a label fingerprint that changed
// under kiln) is exit 3.
func apiError(err error, id, what string) error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch ge.Code {
		case http.StatusNotFound:
			return registry.NotFound(id, "the images of the project")
		case http.StatusPreconditionFailed:
			return exitcode.New(exitcode.Locked, "%s %s: changed by another run at the same time; try again", what, id)
		}
		msg := ge.Message
		if msg == "" {
			msg = http.StatusText(ge.Code)
		}
		return fmt.Errorf("%s %s: %d %s", what, id, ge.Code, msg)
	}
	return fmt.Errorf("%s %s: %w", what, id, err)
}

// name returns the image name an id stands for: the id itself, or the last part of a
// projects/P/global/images/N path or a self link.
func name(id string) string {
	if i := strings.LastIndex(id, "/images/"); i >= 0 {
		return id[i+len("/images/"):]
	}
	return id
}

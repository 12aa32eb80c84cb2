// Package aws is the registry of EC2 AMIs (aws-sdk-go-v2): a family's images are the
// account's AMIs tagged kiln-family in the registry's region; DEPRECATED is
// EnableImageDeprecation, OBSOLETE is DisableImage, DELETED is DeregisterImage followed by
// DeleteSnapshot of the AMI's EBS snapshots. kiln's own state and dates are tags
// (kiln-state, kiln-deprecated-at, ...), which AWS cannot hold natively.
//
// The family pointer is, as kiln.yaml chooses, a tag (the image promoted last carries the
// latest kiln-promoted-at) or an SSM parameter of data type aws:ec2:image holding the AMI
// id, whose version history is the promotion history and which launch templates can read
// with resolve:ssm:.
//
// In use are the AMIs of instances that are not terminated, of every version of every
// launch template (an auto scaling group's launch template is one of them; resolve:ssm:
// references are resolved) and of every launch configuration.
//
// The instances kiln's tools start carry the kiln-run tag; OwnedInstances lists those not
// terminated and TerminateInstances ends them, for kiln-sweep.
package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
)

// The tags kiln keeps on AMIs besides the provenance labels.
const (
	TagState        = "kiln-state"
	TagDeprecatedAt = "kiln-deprecated-at"
	TagObsoleteAt   = "kiln-obsolete-at"
	TagDeletedAt    = "kiln-deleted-at"
	TagPromotedAt   = "kiln-promoted-at"
	TagPromotedEnv  = "kiln-promoted-env"
)

// The family pointer kinds.
const (
	PointerTag = "tag"
	PointerSSM = "ssm"
)

// Options configure the clients.
type Options struct {
	Region    string
	Pointer   string // PointerTag (default) or PointerSSM
	Parameter string // the SSM parameter, with PointerSSM
	// Endpoint replaces the EC2, SSM and Auto Scaling endpoints (a VPC endpoint, a fake).
	Endpoint string
	// HTTPClient replaces the SDK's HTTP client when set.
	HTTPClient *http.Client
	// Credentials are used when set; else the SDK's default chain (environment, shared
	// files, instance or task role).
	Credentials aws.CredentialsProvider
}

// Registry is an account's AMIs in one region.
type Registry struct {
	region, pointer, parameter string
	ec2                        *ec2.Client
	ssm                        *ssm.Client
	asg                        *autoscaling.Client
}

var _ registry.Registry = (*Registry)(nil)

// New returns the registry of o.Region.
func New(ctx context.Context, o Options) (*Registry, error) {
	if o.Region == "" {
		return nil, exitcode.New(exitcode.Usage, "registry aws: no region: set registry.region in kiln.yaml or AWS_REGION")
	}
	if o.Pointer == "" {
		o.Pointer = PointerTag
	}
	if o.Pointer == PointerSSM && o.Parameter == "" {
		return nil, exitcode.New(exitcode.Usage, "registry aws: family_pointer ssm needs ssm_parameter")
	}
	var cfg aws.Config
	if o.Credentials != nil {
		cfg = aws.Config{Region: o.Region, Credentials: o.Credentials}
	} else {
		var err error
		if cfg, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(o.Region)); err != nil {
			return nil, fmt.Errorf("registry aws: %w", err)
		}
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	var base *string
	if o.Endpoint != "" {
		base = aws.String(o.Endpoint)
	}
	return &Registry{region: o.Region, pointer: o.Pointer, parameter: o.Parameter,
		ec2: ec2.NewFromConfig(cfg, func(c *ec2.Options) { c.BaseEndpoint = base }),
		ssm: ssm.NewFromConfig(cfg, func(c *ssm.Options) { c.BaseEndpoint = base }),
		asg: autoscaling.NewFromConfig(cfg, func(c *autoscaling.Options) { c.BaseEndpoint = base }),
	}, nil
}

// Type is "aws".
func (r *Registry) Type() string { return "aws" }

// ami returns the AMI id of a kiln id ("us-east-1:ami-..." or "ami-..."), refusing another
// region's.
func (r *Registry) ami(id string) (string, error) {
	region, ami, ok := strings.Cut(id, ":")
	if !ok {
		ami, region = id, r.region
	}
	if !strings.HasPrefix(ami, "ami-") {
		return "", registry.NotFound(id, "EC2 (not an AMI id)")
	}
	if region != r.region {
		return "", exitcode.New(exitcode.Usage, "image %s is in region %s; the registry is in %s (registry.region)", id, region, r.region)
	}
	return ami, nil
}

// id is the kiln id of an AMI in the registry's region.
func (r *Registry) id(ami string) string { return r.region + ":" + ami }

// apiError keeps the service's error code and message on one line; missing AMIs are exit 7.
func apiError(err error, id, what string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed":
			return registry.NotFound(id, "EC2")
		}
		return fmt.Errorf("%s %s: %s: %s", what, id, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Errorf("%s %s: %w", what, id, err)
}

// Package open opens the image registry kiln.yaml names: local (a directory), gcp, aws or
// oci (an OCI registry), with settings from kiln.yaml and the environment.
package open

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/aws"
	"github.com/kiln-ci/kiln/internal/registry/gcp"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/registry/oci"
)

// Options are what the registries take from the process.
type Options struct {
	Getenv func(string) string // the step's environment, Vault's secrets first
	Dir    string              // the working directory, for a relative KILN_REGISTRY_PATH
	Now    func() time.Time
	// HTTPClient replaces the cloud clients' HTTP client (tests); nil keeps theirs.
	HTTPClient *http.Client
}

// EnvSummary is --help's one line about the variables Registry reads (EnvVars lists them).
const EnvSummary = "KILN_REGISTRY_*, KILN_OCI_CACHE, GOOGLE_*, AWS_*, KILN_*_ENDPOINT   the registry (docs/cli.md)"

// EnvVars documents, for docs/cli.md, the variables Registry reads.
var EnvVars = []string{
	"KILN_REGISTRY_PATH   the local registry's directory (overrides registry.path)",
	"GOOGLE_CLOUD_PROJECT the GCP project when kiln.yaml has no registry.project",
	"GOOGLE_OAUTH_ACCESS_TOKEN  a GCP access token (else Application Default Credentials)",
	"KILN_GCP_ENDPOINT    the Compute Engine API's base URL (a private endpoint)",
	"AWS_REGION           the AWS region when kiln.yaml has no registry.region",
	"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN  AWS credentials (else the SDK's default chain)",
	"KILN_AWS_ENDPOINT    the EC2, SSM and Auto Scaling endpoint URL (a VPC endpoint)",
	"KILN_REGISTRY_REPOSITORY  the OCI repository, host[:port]/path (overrides registry.repository)",
	"KILN_REGISTRY_USERNAME, KILN_REGISTRY_PASSWORD  OCI registry credentials (else CI_REGISTRY_USER/CI_REGISTRY_PASSWORD or CI_JOB_TOKEN on GitLab, GITHUB_TOKEN for ghcr.io, docker's config.json)",
	"KILN_OCI_CACHE       where pulled OCI images are kept, by digest (default $XDG_CACHE_HOME/kiln/oci)",
}

// Registry opens the registry of cfg.
func Registry(ctx context.Context, cfg *config.Config, o Options) (registry.Registry, error) {
	getenv := o.Getenv
	r := cfg.Registry
	switch r.Type {
	case "local":
		return local.Open(cfg, getenv, o.Dir, o.Now)
	case "gcp":
		project := first(r.Project, getenv("GOOGLE_CLOUD_PROJECT"), getenv("CLOUDSDK_CORE_PROJECT"))
		return gcp.New(ctx, gcp.Options{Project: project, Endpoint: getenv("KILN_GCP_ENDPOINT"),
			HTTPClient: o.HTTPClient, Token: getenv("GOOGLE_OAUTH_ACCESS_TOKEN")})
	case "aws":
		ao := aws.Options{Region: first(r.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")),
			Pointer: r.FamilyPointer, Parameter: r.SSMParameter, Endpoint: getenv("KILN_AWS_ENDPOINT"), HTTPClient: o.HTTPClient}
		if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			ao.Credentials = credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))
		}
		return aws.New(ctx, ao)
	case "oci":
		return oci.Open(ctx, cfg, getenv, o.Dir, o.Now)
	}
	return nil, exitcode.New(exitcode.Usage, "registry type %q: not one of local, gcp, aws, oci", r.Type)
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

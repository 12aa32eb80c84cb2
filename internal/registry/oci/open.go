package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	kreg "github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/version"
)

// EnvRepository overrides registry.repository.
const EnvRepository = "KILN_REGISTRY_REPOSITORY"

// EnvCache overrides where pulled images are cached.
const EnvCache = "KILN_OCI_CACHE"

// Options say which repository New opens and how.
type Options struct {
	Repository string // host[:port]/path
	PlainHTTP  bool   // http instead of https (a registry on the loopback interface)
	// CAFile is a PEM bundle trusted besides the system's CAs (a private CA). The system's
	// own pool already honours SSL_CERT_FILE and SSL_CERT_DIR.
	CAFile     string
	Credential auth.Credential
	// CredentialSource says where Credential came from, for messages.
	CredentialSource string
	CacheDir         string // the pull cache (DefaultCache)
	Now              func() time.Time
	// Transport replaces the HTTP transport (tests count requests through it); nil builds one.
	Transport http.RoundTripper
	// Settle is the least time a change of an image waits before it checks again that the
	// registry still lists it, where the registry has no referrers API (pushReferrer);
	// 0 means DefaultSettle. A test with a single writer may shorten it.
	Settle time.Duration
}

// New returns the registry of o.Repository; it makes no request.
func New(o Options) (*Registry, error) {
	if err := config.CheckRepository(o.Repository); err != nil {
		return nil, exitcode.New(exitcode.Usage, "OCI repository: %v", err)
	}
	if o.PlainHTTP {
		if err := config.CheckPlainHTTP(o.Repository); err != nil {
			return nil, exitcode.New(exitcode.Usage, "OCI repository %s: %v", o.Repository, err)
		}
	}
	ref, err := registry.ParseReference(o.Repository)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, "OCI repository %s: %v", o.Repository, err)
	}
	tr := o.Transport
	if tr == nil {
		if tr, err = transport(o.CAFile); err != nil {
			return nil, err
		}
	}
	client := &auth.Client{
		Client:     &http.Client{Transport: retry.NewTransport(tr)},
		Header:     http.Header{"User-Agent": {"kiln/" + version.Version}},
		Cache:      auth.NewCache(),
		Credential: auth.StaticCredential(ref.Registry, o.Credential),
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	src := o.CredentialSource
	if src == "" {
		src = "none (anonymous)"
	}
	settle := o.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	return &Registry{
		settle:     settle,
		repository: o.Repository,
		repo:       &remote.Repository{Client: client, Reference: ref, PlainHTTP: o.PlainHTTP, SkipReferrersGC: true},
		now:        now,
		cacheDir:   o.CacheDir,
		credSource: src,
		images:     map[digest.Digest]*manifestInfo{},
		tombstones: map[string]*kreg.Image{},
	}, nil
}

// transport is Go's default transport with large buffers (images are gigabytes) and, with
// caFile, the system's CAs plus caFile's.
func transport(caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.WriteBufferSize, tr.ReadBufferSize = 1<<20, 1<<20
	if caFile == "" {
		return tr, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, "registry.ca_file: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, exitcode.New(exitcode.Usage, "registry.ca_file: %s holds no PEM certificate", caFile)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}

// Open returns the OCI registry kiln.yaml names: registry.repository, or
// KILN_REGISTRY_REPOSITORY; registry.ca_file relative to kiln.yaml; credentials as
// Credentials finds them in getenv (the step's environment, Vault's secrets first); the pull
// cache in KILN_OCI_CACHE (relative to dir, the working directory), else DefaultCache.
// It is exit 2 when kiln.yaml names another registry type.
func Open(ctx context.Context, cfg *config.Config, getenv func(string) string, dir string, now func() time.Time) (*Registry, error) {
	if t := cfg.Registry.Type; t != "oci" {
		return nil, exitcode.New(exitcode.Usage, "registry type %q keeps no OCI images (oci:... ids)", t)
	}
	repo := cfg.Registry.Repository
	if v := getenv(EnvRepository); v != "" {
		repo = v
	}
	if repo == "" {
		return nil, cfg.Errorf("registry", "type oci needs registry.repository (host[:port]/path) or %s", EnvRepository)
	}
	o := Options{Repository: repo, PlainHTTP: cfg.Registry.PlainHTTP, Now: now, CacheDir: DefaultCache(getenv, dir)}
	if cfg.Registry.CAFile != "" {
		o.CAFile = cfg.Path(cfg.Registry.CAFile)
	}
	host, _, _ := strings.Cut(repo, "/")
	cred, src, err := Credentials(ctx, getenv, host)
	if err != nil {
		return nil, err
	}
	o.Credential, o.CredentialSource = cred, src
	return New(o)
}

// DefaultCache is where pulled images are cached: KILN_OCI_CACHE (relative to dir), else
// $XDG_CACHE_HOME/kiln/oci, else ~/.cache/kiln/oci; "" when none of them is set.
func DefaultCache(getenv func(string) string, dir string) string {
	if p := getenv(EnvCache); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return p
	}
	if x := getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "kiln", "oci")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "kiln", "oci")
	}
	return ""
}

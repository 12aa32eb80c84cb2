package secrets

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/redact"
)

// Retries of transient errors (connection errors, 412, 429, 5xx but a sealed 503) by the
// api client, with backoff: a request waits at most 0.5+1+2 = 3.5 s in all.
const (
	maxRetries   = 3
	minRetryWait = 500 * time.Millisecond
	maxRetryWait = 2 * time.Second
	// requestTimeout bounds one request, retries included.
	requestTimeout = 30 * time.Second
)

// vaultClient is the api client with what error messages need.
type vaultClient struct {
	api   *api.Client
	addr  string
	creds *redact.Redactor // credentials kiln handled, masked in any message from Vault
	// unverified is set when a given token could not look itself up: a later "permission
	// denied" may mean the token expired rather than a missing policy.
	unverified bool
	// who names the login in messages about reads: "auth/jwt role kiln-ci".
	who string
	// login is Vault's answer to kiln's own login (nil for a given token), for renewal.
	login *api.Secret
}

// newClient builds a client from the config and VAULT_* variables given by getenv. It does
// not use api.DefaultConfig, which reads the process environment (VAULT_SKIP_VERIFY
// included); the token and namespace api.NewClient picks up from it are cleared.
func newClient(cfg Config, getenv func(string) string) (*vaultClient, error) {
	addr := cfg.Address
	if addr == "" {
		addr = getenv("VAULT_ADDR")
	}
	if addr == "" {
		return nil, exitcode.New(exitcode.Usage, "vault: no address: set vault.address in kiln.yaml or VAULT_ADDR")
	}
	hc := cleanhttp.DefaultPooledClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	conf := &api.Config{
		Address:      addr,
		HttpClient:   hc,
		Timeout:      requestTimeout,
		MaxRetries:   maxRetries,
		MinRetryWait: minRetryWait,
		MaxRetryWait: maxRetryWait,
		Backoff:      backoff,
		CheckRetry:   retryPolicy,
	}
	if ca, dir := getenv("VAULT_CACERT"), getenv("VAULT_CAPATH"); ca != "" || dir != "" {
		if err := conf.ConfigureTLS(&api.TLSConfig{CACert: ca, CAPath: dir}); err != nil {
			return nil, exitcode.New(exitcode.Usage, "vault: CA certificates from VAULT_CACERT/VAULT_CAPATH: %w", err)
		}
	}
	c, err := api.NewClient(conf)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, "vault: client for %s: %w", addr, err)
	}
	c.ClearToken()
	c.ClearNamespace()
	ns := cfg.Namespace
	if ns == "" {
		ns = getenv("VAULT_NAMESPACE")
	}
	if ns != "" {
		c.SetNamespace(ns)
	}
	return &vaultClient{api: c, addr: addr, creds: redact.New()}, nil
}

// retryPolicy retries what api.DefaultRetryPolicy retries (connection errors, 412, 429,
// 5xx but 501) except a sealed Vault's 503, which will not heal in seconds.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if resp != nil && resp.StatusCode == http.StatusServiceUnavailable && sealed(resp) {
		return false, nil
	}
	return api.DefaultRetryPolicy(ctx, resp, err)
}

// backoff doubles the wait from min up to max, with jitter (half to all of it), and
// ignores Retry-After, so a proxy cannot stall kiln for long.
func backoff(lo, hi time.Duration, attempt int, _ *http.Response) time.Duration {
	d := hi
	if attempt < 16 && lo<<attempt < hi {
		d = lo << attempt
	}
	return d/2 + rand.N(d/2+1)
}

// sealed reports whether a 503 response says Vault is sealed; it leaves the body readable.
func sealed(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return bytes.Contains(body, []byte("sealed"))
}

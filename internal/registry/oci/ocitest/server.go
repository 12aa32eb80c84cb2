// Package ocitest starts a real OCI registry for tests: the CNCF Distribution registry that
// scripts/tools.sh builds into .tools/bin/registry (or $KILN_OCI_REGISTRY), listening on a
// free 127.0.0.1 port with its storage in a temporary directory, stopped when the test ends.
// It can require htpasswd logins (a bcrypt htpasswd file written here, a random password)
// and serve TLS with a certificate from a local CA generated here. Without the binary the
// test is skipped, unless KILN_REQUIRE_TOOLS=1 makes that a failure.
package ocitest

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// startTimeout bounds how long Start waits for the registry to answer; it is a deadline for
// a hung server, not a performance assertion.
const startTimeout = 60 * time.Second

// Options say how the registry is secured.
type Options struct {
	Auth bool // require a login (htpasswd, basic auth) for every request
	TLS  bool // serve HTTPS with a certificate of a CA generated for the test
}

// Server is a running registry.
type Server struct {
	// Host is 127.0.0.1:PORT.
	Host string
	// User and Password log in when Options.Auth is set.
	User, Password string
	// CAFile is the PEM file of the CA that signed the server's certificate (Options.TLS).
	CAFile string
	// PlainHTTP is true without TLS.
	PlainHTTP bool
	// Storage is the registry's storage directory.
	Storage string

	pool *x509.CertPool
	proc *testkit.Process
}

// Start starts a registry and stops it when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	return testkit.StartServer(t, "ocitest", bin, func() (*Server, error) { return start(t, bin, o) })
}

// Binary returns the path of the registry binary: $KILN_OCI_REGISTRY, else
// .tools/bin/registry in the repository. It skips t when there is none (fails it when
// KILN_REQUIRE_TOOLS=1).
func Binary(t testing.TB) string {
	t.Helper()
	return testkit.ToolBinary(t, "ocitest", "registry", "KILN_OCI_REGISTRY")
}

// RepoRoot walks up from the working directory to kiln's go.mod.
func RepoRoot() (string, error) { return testkit.RepoRoot() }

func start(t testing.TB, bin string, o Options) (*Server, error) {
	port, err := testkit.FreePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &Server{Host: "127.0.0.1:" + strconv.Itoa(port), PlainHTTP: !o.TLS, Storage: filepath.Join(dir, "storage")}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
`, s.Storage, s.Host, randomHex(16))
	if o.TLS {
		ca, err := writeTLS(dir)
		if err != nil {
			return nil, err
		}
		s.CAFile, s.pool = ca.caFile, ca.pool
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", ca.certFile, ca.keyFile)
	}
	if o.Auth {
		s.User, s.Password = "kiln", "pw-"+randomHex(12)
		hp := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(hp, s.User, s.Password); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: kiln-test\n    path: %s\n", hp)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	// No telemetry leaves the process: the registry's OpenTelemetry exporter is off.
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true"}
	cmd.Dir = dir
	if s.proc, err = testkit.StartProcess(cmd, syscall.SIGTERM); err != nil {
		return nil, err
	}
	if err := s.proc.WaitHTTP(s.probe()); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the registry's base URL.
func (s *Server) URL() string {
	if s.PlainHTTP {
		return "http://" + s.Host
	}
	return "https://" + s.Host
}

// Repository returns host/path, a repository of this registry.
func (s *Server) Repository(path string) string { return s.Host + "/" + path }

// Client returns an HTTP client that trusts the server's CA.
func (s *Server) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// probe is how start knows the registry is up: /v2/ answers 200 (or 401 when it wants a
// login).
func (s *Server) probe() testkit.HTTPProbe {
	hc := s.Client()
	hc.Timeout = 2 * time.Second
	return testkit.HTTPProbe{Name: "registry", URL: s.URL() + "/v2/", Client: hc,
		Ready: func(code int) bool { return code == http.StatusOK || code == http.StatusUnauthorized },
		Every: 50 * time.Millisecond, Timeout: startTimeout, NotReady: "not answering"}
}

// Stop stops the registry (SIGTERM, then SIGKILL after 10 s) and waits for it; Start's
// cleanup calls it again harmlessly.
func (s *Server) Stop() { s.proc.Stop() }

// Output returns the end of the registry's log, for failure messages.
func (s *Server) Output() string { return s.proc.Output(4000) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

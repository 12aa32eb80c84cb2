// Package ocitest starts a real OCI registry for tests: the CNCF Distribution registry that
// scripts/tools.sh builds into .tools/bin/registry (or $KILN_OCI_REGISTRY), listening on a
// free 127.0.0.1 port with its storage in a temporary directory, stopped when the test ends.
// It can require htpasswd logins (a bcrypt htpasswd file written here, a random password)
// and serve TLS with a certificate from a local CA generated here. Without the binary the
// test is skipped, unless KILN_REQUIRE_TOOLS=1 makes that a failure.
package ocitest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

// Start starts a registry and stops it when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	for range 3 { // another process may take the free port between lookup and bind
		s, err := start(t, bin, o)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("ocitest: start %s: %v", bin, lastErr)
	return nil
}

// Binary returns the path of the registry binary: $KILN_OCI_REGISTRY, else
// .tools/bin/registry in the repository. It skips t when there is none (fails it when
// KILN_REQUIRE_TOOLS=1).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KILN_OCI_REGISTRY"); p != "" {
		return p
	}
	if root, err := RepoRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", "registry")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("KILN_REQUIRE_TOOLS") == "1" {
		t.Fatal("ocitest: no registry binary: run `bash scripts/tools.sh registry` or set KILN_OCI_REGISTRY")
	}
	t.Skip("ocitest: no registry binary (bash scripts/tools.sh registry builds it)")
	return ""
}

// RepoRoot walks up from the working directory to kiln's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/kiln-ci/kiln\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the kiln repository")
		}
		dir = parent
	}
}

func start(t testing.TB, bin string, o Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &Server{Host: "127.0.0.1:" + strconv.Itoa(port), PlainHTTP: !o.TLS, Storage: filepath.Join(dir, "storage"),
		out: &syncBuffer{}, done: make(chan struct{})}
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
	s.cmd = exec.Command(bin, "serve", cfgPath)
	// No telemetry leaves the process: the registry's OpenTelemetry exporter is off.
	s.cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true"}
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; registry output:\n%s", err, s.out.tail(2000))
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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

// waitReady polls /v2/ until the registry answers 200 (or 401 when it wants a login).
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	hc := s.Client()
	hc.Timeout = 2 * time.Second
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("registry exited")
		default:
		}
		resp, err := hc.Get(s.URL() + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not answering after %s", startTimeout)
}

// Stop stops the registry (SIGTERM, then SIGKILL after 10 s) and waits for it; Start's
// cleanup calls it again harmlessly.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Output returns the end of the registry's log, for failure messages.
func (s *Server) Output() string { return s.out.tail(4000) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer is a bytes.Buffer safe for the server's stdout and stderr at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}

// Package vaulttest starts a real Vault dev server for tests: the binary scripts/tools.sh
// builds into .tools/bin/vault (or $KILN_VAULT), listening on a free 127.0.0.1 port with a
// random root token, stopped when the test ends. Without the binary the test is skipped,
// unless KILN_REQUIRE_TOOLS=1 makes that a failure. Helpers set up the engines and auth
// methods kiln's tests need.
package vaulttest

import (
	"bytes"
	"crypto/rand"
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

	"github.com/hashicorp/vault/api"
)

// startTimeout bounds how long Start waits for the server to answer; it is a deadline for
// a hung server, not a performance assertion.
const startTimeout = 90 * time.Second

// Server is a running Vault dev server.
type Server struct {
	// Addr is the server's URL, http://127.0.0.1:PORT.
	Addr string
	// Token is the root token.
	Token string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

// Start starts a dev server and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	for range 3 { // another process may take the free port between lookup and bind
		s, err := start(t, bin)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("vaulttest: start %s: %v", bin, lastErr)
	return nil
}

// Binary returns the path of the vault binary: $KILN_VAULT, else .tools/bin/vault in the
// repository. It skips t when there is none (fails it when KILN_REQUIRE_TOOLS=1).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KILN_VAULT"); p != "" {
		return p
	}
	if root, err := repoRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", "vault")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("KILN_REQUIRE_TOOLS") == "1" {
		t.Fatal("vaulttest: no vault binary: run `bash scripts/tools.sh vault` or set KILN_VAULT")
	}
	t.Skip("vaulttest: no vault binary (bash scripts/tools.sh vault builds it)")
	return ""
}

// repoRoot walks up from the working directory to kiln's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); bytes.HasPrefix(b, []byte("module github.com/kiln-ci/kiln\n")) {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the kiln repository")
		}
		dir = parent
	}
}

func start(t testing.TB, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 12)
	_, _ = rand.Read(tok)
	s := &Server{
		Addr:  "http://127.0.0.1:" + strconv.Itoa(port),
		Token: "kiln-test-" + hex.EncodeToString(tok),
		out:   &syncBuffer{},
		done:  make(chan struct{}),
	}
	home := t.TempDir()
	s.cmd = exec.Command(bin, "server", "-dev",
		"-dev-root-token-id="+s.Token, "-dev-listen-address=127.0.0.1:"+strconv.Itoa(port))
	s.cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GODEBUG=x509negativeserial=1"}
	s.cmd.Dir = home
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitHealthy(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; server output:\n%s", err, s.out.tail(2000))
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

// waitHealthy polls sys/health until the server is unsealed and active.
func (s *Server) waitHealthy() error {
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("server exited")
		default:
		}
		resp, err := hc.Get(s.Addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %s", startTimeout)
}

// Stop stops the server (SIGINT, then SIGKILL after 10 s) and waits for it. Tests of an
// unreachable Vault call it; Start's cleanup calls it again harmlessly.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Output returns the end of the server's log, for failure messages.
func (s *Server) Output() string { return s.out.tail(4000) }

// Client returns an api client with the root token.
func (s *Server) Client(t testing.TB) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: s.Addr, MaxRetries: 0})
	if err != nil {
		t.Fatalf("vaulttest: client: %v", err)
	}
	c.SetToken(s.Token)
	c.ClearNamespace()
	return c
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

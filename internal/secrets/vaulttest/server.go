// Package vaulttest starts a real Vault dev server for tests: the binary scripts/tools.sh
// builds into .tools/bin/vault (or $KILN_VAULT), listening on a free 127.0.0.1 port with a
// random root token, stopped when the test ends. Without the binary the test is skipped,
// unless KILN_REQUIRE_TOOLS=1 makes that a failure. Helpers set up the engines and auth
// methods kiln's tests need.
package vaulttest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/testkit"
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

	proc *testkit.Process
}

// Start starts a dev server and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	return testkit.StartServer(t, "vaulttest", bin, func() (*Server, error) { return start(t, bin) })
}

// Binary returns the path of the vault binary: $KILN_VAULT, else .tools/bin/vault in the
// repository. It skips t when there is none (fails it when KILN_REQUIRE_TOOLS=1).
func Binary(t testing.TB) string {
	t.Helper()
	return testkit.ToolBinary(t, "vaulttest", "vault", "KILN_VAULT")
}

func start(t testing.TB, bin string) (*Server, error) {
	port, err := testkit.FreePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 12)
	_, _ = rand.Read(tok)
	s := &Server{
		Addr:  "http://127.0.0.1:" + strconv.Itoa(port),
		Token: "kiln-test-" + hex.EncodeToString(tok),
	}
	home := t.TempDir()
	cmd := exec.Command(bin, "server", "-dev",
		"-dev-root-token-id="+s.Token, "-dev-listen-address=127.0.0.1:"+strconv.Itoa(port))
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GODEBUG=x509negativeserial=1"}
	cmd.Dir = home
	if s.proc, err = testkit.StartProcess(cmd, syscall.SIGINT); err != nil {
		return nil, err
	}
	// Poll sys/health until the server is unsealed and active.
	err = s.proc.WaitHTTP(testkit.HTTPProbe{Name: "server", URL: s.Addr + "/v1/sys/health",
		Client: &http.Client{Timeout: 2 * time.Second},
		Ready:  func(code int) bool { return code == http.StatusOK },
		Every:  100 * time.Millisecond, Timeout: startTimeout, NotReady: "not healthy"})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops the server (SIGINT, then SIGKILL after 10 s) and waits for it. Tests of an
// unreachable Vault call it; Start's cleanup calls it again harmlessly.
func (s *Server) Stop() { s.proc.Stop() }

// Output returns the end of the server's log, for failure messages.
func (s *Server) Output() string { return s.proc.Output(4000) }

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

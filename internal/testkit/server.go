package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stopGrace is how long Process.Stop waits after the stop signal before it kills the
// process; a variable only so that the test of the kill needs no 10 s.
var stopGrace = 10 * time.Second

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

// ToolBinary returns the path of the tool a test server package starts: $env when set, else
// .tools/bin/name in the repository (see ToolPath). Without one it skips t, or fails it when
// KILN_REQUIRE_TOOLS=1; both messages start with prefix (the package name) and name
// `bash scripts/tools.sh name`, which builds the tool.
func ToolBinary(t testing.TB, prefix, name, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if root, err := RepoRoot(); err == nil {
		p = ToolPath(root, name, env)
	}
	if p != "" {
		return p
	}
	if os.Getenv("KILN_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s: no %s binary: run `bash scripts/tools.sh %s` or set %s", prefix, name, name, env)
	}
	t.Skipf("%s: no %s binary (bash scripts/tools.sh %s builds it)", prefix, name, name)
	return ""
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago; another process may
// take it before the caller binds it, so callers retry (see StartServer).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartServer calls start up to three times, because another process may take the free port
// between FreePort and the server's bind, and stops the server it returns when t ends. When
// every try fails it fails t with "prefix: start bin: " and the last error.
func StartServer[S interface{ Stop() }](t testing.TB, prefix, bin string, start func() (S, error)) S {
	t.Helper()
	var lastErr error
	for range 3 {
		s, err := start()
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("%s: start %s: %v", prefix, bin, lastErr)
	var zero S
	return zero
}

// Process is a server process a test started: its stdout and stderr are kept for failure
// messages, Done is closed when it exits and Stop ends it.
type Process struct {
	cmd  *exec.Cmd
	stop os.Signal
	out  syncBuffer
	done chan struct{}
	once sync.Once
}

// StartProcess starts cmd with its stdout and stderr captured. Stop sends it the stop
// signal (the one on which the server shuts down cleanly).
func StartProcess(cmd *exec.Cmd, stop os.Signal) (*Process, error) {
	p := &Process{cmd: cmd, stop: stop, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends the stop signal, kills the process when it is still running 10 s later, and
// waits for it to exit. Calling it again does nothing.
func (p *Process) Stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(p.stop)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// HTTPProbe says how WaitHTTP knows that a server answers.
type HTTPProbe struct {
	// Name is the server in errors: "NAME exited", "NAME output".
	Name string
	// URL is polled with GET through Client, whose timeout bounds each request.
	URL    string
	Client *http.Client
	// Ready reports whether a response status means the server is up.
	Ready func(status int) bool
	// Every is the pause between requests; Timeout is a deadline for a hung server, not a
	// performance assertion.
	Every, Timeout time.Duration
	// NotReady starts the error after Timeout: "NOTREADY after TIMEOUT" ("not healthy").
	NotReady string
}

// WaitHTTP polls pr.URL until pr.Ready accepts a response. When the process exits first or
// pr.Timeout passes, it stops the process and returns the error followed by the end of the
// process's output.
func (p *Process) WaitHTTP(pr HTTPProbe) error {
	err := p.pollHTTP(pr)
	if err != nil {
		p.Stop()
		err = fmt.Errorf("%w; %s output:\n%s", err, pr.Name, p.Output(2000))
	}
	return err
}

func (p *Process) pollHTTP(pr HTTPProbe) error {
	deadline := time.Now().Add(pr.Timeout)
	for time.Now().Before(deadline) {
		if p.Exited() {
			return errors.New(pr.Name + " exited")
		}
		resp, err := pr.Client.Get(pr.URL)
		if err == nil {
			resp.Body.Close()
			if pr.Ready(resp.StatusCode) {
				return nil
			}
		}
		time.Sleep(pr.Every)
	}
	return fmt.Errorf("%s after %s", pr.NotReady, pr.Timeout)
}

// Output returns the last n bytes of the process's output, trimmed of surrounding space.
func (p *Process) Output(n int) string { return p.out.tail(n) }

// syncBuffer is a bytes.Buffer safe for a process's stdout and stderr at once.
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

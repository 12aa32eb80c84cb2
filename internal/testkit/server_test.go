package testkit

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the server a Process runs: with KILN_TESTKIT_SERVE set it
// serves KILN_TESTKIT_STATUS on KILN_TESTKIT_ADDR instead of running the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("KILN_TESTKIT_SERVE"); mode != "" {
		serve(mode)
		return
	}
	os.Exit(m.Run())
}

// serve is the child server: "serve" stops on SIGINT or SIGTERM and says which, "deaf"
// ignores both, "exit" fails at once.
func serve(mode string) {
	fmt.Println("child starting")
	fmt.Fprintln(os.Stderr, "child on stderr")
	if mode == "exit" {
		fmt.Println("child gives up")
		os.Exit(3)
	}
	sig := make(chan os.Signal, 1)
	if mode == "deaf" {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	} else {
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	}
	status, _ := strconv.Atoi(os.Getenv("KILN_TESTKIT_STATUS"))
	go func() {
		_ = http.ListenAndServe(os.Getenv("KILN_TESTKIT_ADDR"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
		}))
	}()
	fmt.Println("child stopped by", <-sig)
}

// child starts the test binary as a server in mode, answering status, and returns its
// process and URL; the test stops it when it ends.
func child(t *testing.T, mode string, status int, stop os.Signal) (*Process, string) {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(os.Args[0])
	// GORACE: under -race a child otherwise sleeps 1 s before it exits.
	cmd.Env = []string{"KILN_TESTKIT_SERVE=" + mode, "KILN_TESTKIT_ADDR=" + addr, "KILN_TESTKIT_STATUS=" + strconv.Itoa(status),
		"GORACE=atexit_sleep_ms=0"}
	p, err := StartProcess(cmd, stop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p, "http://" + addr + "/"
}

func probe(name, url string, timeout time.Duration) HTTPProbe {
	return HTTPProbe{Name: name, URL: url, Client: &http.Client{Timeout: time.Second},
		Ready: func(code int) bool { return code == http.StatusNoContent },
		Every: 20 * time.Millisecond, Timeout: timeout, NotReady: "not ready"}
}

// TestProcess: a ready server passes WaitHTTP, Stop sends the given signal, waits for the
// exit and is harmless twice; the output holds stdout and stderr.
func TestProcess(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p, url := child(t, "serve", http.StatusNoContent, sig)
			if err := p.WaitHTTP(probe("child", url, time.Minute)); err != nil {
				t.Fatal(err)
			}
			if p.Exited() {
				t.Fatal("Exited before Stop")
			}
			p.Stop()
			p.Stop()
			select {
			case <-p.Done():
			default:
				t.Fatal("Done is open after Stop")
			}
			out := p.Output(4000)
			for _, want := range []string{"child starting", "child on stderr", "child stopped by " + sig.String()} {
				if !strings.Contains(out, want) {
					t.Errorf("output %q lacks %q", out, want)
				}
			}
			if !p.Exited() {
				t.Error("not Exited after Stop")
			}
			if got, want := p.Output(len("child stopped by "+sig.String())+1), "child stopped by "+sig.String(); got != want {
				t.Errorf("Output(n) = %q, want the trimmed tail %q", got, want)
			}
		})
	}
}

// TestProcessKill: a server that ignores the stop signal is killed after the grace period.
func TestProcessKill(t *testing.T) {
	defer func(g time.Duration) { stopGrace = g }(stopGrace)
	stopGrace = 200 * time.Millisecond
	p, url := child(t, "deaf", http.StatusNoContent, syscall.SIGTERM)
	if err := p.WaitHTTP(probe("child", url, time.Minute)); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	if !p.Exited() {
		t.Fatal("not Exited after Stop")
	}
	if ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the child ended with %q, want killed", p.cmd.ProcessState)
	}
	if strings.Contains(p.Output(4000), "stopped by") {
		t.Errorf("the child saw the signal it ignores: %q", p.Output(4000))
	}
}

// TestWaitHTTPFails: a server that exits, or never answers a ready status, fails WaitHTTP
// with the probe's words and the end of its output, and is stopped.
func TestWaitHTTPFails(t *testing.T) {
	tests := []struct {
		mode    string
		status  int
		timeout time.Duration
		want    string
	}{
		{"exit", http.StatusNoContent, time.Minute, "srv exited; srv output:\nchild starting\nchild on stderr\nchild gives up"},
		{"serve", http.StatusServiceUnavailable, 300 * time.Millisecond, "not ready after 300ms; srv output:\nchild starting\nchild on stderr\nchild stopped by interrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			p, url := child(t, tt.mode, tt.status, syscall.SIGINT)
			err := p.WaitHTTP(probe("srv", url, tt.timeout))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("WaitHTTP = %v, want %q", err, tt.want)
			}
			if !p.Exited() {
				t.Error("the server still runs after a failed WaitHTTP")
			}
		})
	}
}

// recorder is a testing.TB that records Skipf, Fatalf and Cleanup; Skipf and Fatalf end
// the goroutine as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
	cleanups        []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Skipf(f string, a ...any) {
	r.skipped = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.failed = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

// record runs f with a recorder in its own goroutine, so that Skipf and Fatalf can end it.
func record(f func(r *recorder)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r
}

// fakeRepo makes a directory with kiln's go.mod (and .tools/bin/mytool when withTool) and
// moves the test into a subdirectory of it; it returns the directory.
func fakeRepo(t *testing.T, withTool bool) string {
	t.Helper()
	root := t.TempDir()
	WriteFile(t, filepath.Join(root, "go.mod"), "module github.com/kiln-ci/kiln\n\ngo 1.26\n")
	if withTool {
		WriteFile(t, filepath.Join(root, ".tools", "bin", "mytool"), "")
	}
	sub := filepath.Join(root, "internal", "x")
	WriteFile(t, filepath.Join(sub, "other", "go.mod"), "module example.com/other\n")
	t.Chdir(filepath.Join(sub, "other"))
	return root
}

// TestToolBinary: $env wins, then .tools/bin/NAME of the repository; without either the
// test is skipped, or failed under KILN_REQUIRE_TOOLS=1, with the way to build the tool.
func TestToolBinary(t *testing.T) {
	tests := []struct {
		name             string
		repo, tool       bool
		env, require     string
		want, skip, fail string
	}{
		{name: "env outside the repository", env: "/opt/mytool", want: "/opt/mytool"},
		{name: "env before the repository's", repo: true, tool: true, env: "/opt/mytool", want: "/opt/mytool"},
		{name: "the repository's", repo: true, tool: true, want: "REPO/.tools/bin/mytool"},
		{name: "none", repo: true, skip: "pfx: no mytool binary (bash scripts/tools.sh mytool builds it)"},
		{name: "none outside the repository", skip: "pfx: no mytool binary (bash scripts/tools.sh mytool builds it)"},
		{name: "none, required", repo: true, require: "1", fail: "pfx: no mytool binary: run `bash scripts/tools.sh mytool` or set KILN_MYTOOL"},
		{name: "none, required only by 1", repo: true, require: "yes", skip: "pfx: no mytool binary (bash scripts/tools.sh mytool builds it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := "/nowhere"
			if tt.repo {
				root = fakeRepo(t, tt.tool)
			} else {
				t.Chdir(t.TempDir())
			}
			t.Setenv("KILN_MYTOOL", tt.env)
			t.Setenv("KILN_REQUIRE_TOOLS", tt.require)
			var got string
			r := record(func(r *recorder) { got = ToolBinary(r, "pfx", "mytool", "KILN_MYTOOL") })
			if want := strings.Replace(tt.want, "REPO", root, 1); got != want || r.skipped != tt.skip || r.failed != tt.fail {
				t.Errorf("ToolBinary = %q, skipped %q, failed %q; want %q, %q, %q", got, r.skipped, r.failed, want, tt.skip, tt.fail)
			}
		})
	}
}

// TestRepoRoot: the walk up stops at kiln's go.mod, not at another module's, and fails
// outside the repository.
func TestRepoRoot(t *testing.T) {
	root := fakeRepo(t, false)
	got, err := RepoRoot()
	if err != nil || got != root {
		t.Errorf("RepoRoot = %q, %v; want %q", got, err, root)
	}
	t.Chdir(t.TempDir())
	if got, err := RepoRoot(); err == nil || err.Error() != "not inside the kiln repository" {
		t.Errorf("RepoRoot outside = %q, %v", got, err)
	}
}

// TestFreePort: the port is free to bind on 127.0.0.1.
func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d: %v", port, err)
	}
	l.Close()
}

type stopper struct{ stopped bool }

func (s *stopper) Stop() { s.stopped = true }

// TestStartServer: start is tried three times at most; the server that starts is stopped
// by the test's cleanup; the last error fails the test.
func TestStartServer(t *testing.T) {
	for _, okAt := range []int{1, 3, 4} {
		t.Run(strconv.Itoa(okAt), func(t *testing.T) {
			tries := 0
			var got *stopper
			r := record(func(r *recorder) {
				got = StartServer(r, "pfx", "/bin/srv", func() (*stopper, error) {
					tries++
					if tries < okAt {
						return nil, fmt.Errorf("try %d: port taken", tries)
					}
					return &stopper{}, nil
				})
			})
			if okAt > 3 {
				if want := "pfx: start /bin/srv: try 3: port taken"; r.failed != want || tries != 3 || len(r.cleanups) != 0 {
					t.Errorf("failed %q after %d tries, %d cleanups; want %q after 3, none", r.failed, tries, len(r.cleanups), want)
				}
				return
			}
			if got == nil || tries != okAt || r.failed != "" || len(r.cleanups) != 1 {
				t.Fatalf("server %v after %d tries (failed %q, %d cleanups), want one after %d", got, tries, r.failed, len(r.cleanups), okAt)
			}
			r.cleanups[0]()
			if !got.stopped {
				t.Error("the cleanup does not stop the server")
			}
		})
	}
}

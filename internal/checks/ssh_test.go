package checks

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshWorld is a test server and a target that logs in to it.
type sshWorld struct {
	srv    *sshServer
	target SSHTarget
	client ssh.Signer
}

func newSSHWorld(t *testing.T) sshWorld {
	t.Helper()
	keyFile, client := writeKey(t, "")
	srv := newSSHServer(t, newKey(t), client)
	return sshWorld{srv: srv, client: client, target: SSHTarget{
		Address: srv.addr, User: testUser, PrivateKeyFile: keyFile, HostKey: authorizedKey(srv.hostKey) + "\n",
	}}
}

func (w sshWorld) spec(command string, exit int, contains string) Spec {
	return Spec{Name: "svc", Kind: "ssh", Timeout: 5 * time.Second,
		SSH: &SSH{SSHTarget: w.target, Command: command, ExitCode: exit, StdoutContains: contains}}
}

func TestSSH(t *testing.T) {
	w := newSSHWorld(t)
	who := "ssh " + testUser + "@" + w.srv.addr
	// The counter command fails twice, then passes: the service came up between attempts.
	counter := `n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 3 ] && echo active`
	tests := []struct {
		name     string
		command  string
		exit     int
		contains string
		passed   bool
		want     string
	}{
		{"pass", "echo active", 0, "active", true,
			`passed on attempt 1: ` + who + `: "echo active" exited 0, output contains "active"`},
		{"expected exit code", "exit 3", 3, "", true, `passed on attempt 1: ` + who + `: "exit 3" exited 3`},
		{"passes on a later attempt", counter, 0, "active", true,
			`passed on attempt 3: ` + who + `: "` + counter[:80] + `..." exited 0, output contains "active"`},
		{"wrong exit code", "echo inactive; exit 3", 0, "", false,
			`gave up after 3 attempts in 4s: ` + who + `: "echo inactive; exit 3" exited 3, want 0; stdout: "inactive"`},
		{"stderr shown first", "echo starting; echo failed to start >&2; exit 1", 0, "", false,
			`gave up after 3 attempts in 4s: ` + who + `: "echo starting; echo failed to start >&2; exit 1" exited 1, want 0; stderr: "failed to start"`},
		{"stdout mismatch", "echo degraded", 0, "active", false,
			`gave up after 3 attempts in 4s: ` + who + `: "echo degraded" exited 0, but its output (9 bytes) does not contain "active"; stdout: "degraded"`},
		{"killed", "kill -TERM $$", 0, "", false,
			`gave up after 3 attempts in 4s: ` + who + `: "kill -TERM $$" was killed by signal TERM, want exit code 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{w.spec(tt.command, tt.exit, tt.contains)})[0]
			if got.Passed != tt.passed || got.Message != tt.want {
				t.Errorf("got passed=%v %q\nwant passed=%v %q", got.Passed, got.Message, tt.passed, tt.want)
			}
		})
	}
}

func TestSSHHostKey(t *testing.T) {
	w := newSSHWorld(t)
	other, ecdsaKey := newKey(t), newECDSAKey(t)
	fp := func(k ssh.Signer) string { return ssh.FingerprintSHA256(k.PublicKey()) }
	tests := []struct {
		name, hostKey string
		passed        bool
		want          string
	}{
		{"pinned", authorizedKey(w.srv.hostKey), true, ""},
		{"one of several, keyscan format", "# keys\n" + w.srv.addr + " " + authorizedKey(other) + "\n" + w.srv.addr + " " + authorizedKey(w.srv.hostKey), true, ""},
		{"another key", authorizedKey(other), false,
			"failed on attempt 1, not retried: host key mismatch for " + w.srv.addr + ": got " + fp(w.srv.hostKey) + ", want " + fp(other)},
		{"another kind of key", authorizedKey(ecdsaKey), false,
			"failed on attempt 1, not retried: host key mismatch for " + w.srv.addr + ": the server has no host key of the pinned kind (it offers ssh-ed25519), want " + fp(ecdsaKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.srv.ran())
			r, _, log := testRunner()
			s := w.spec("echo ok", 0, "")
			s.SSH.HostKey = tt.hostKey
			got := r.Run(context.Background(), []Spec{s})[0]
			if got.Passed != tt.passed || !tt.passed && (got.Attempts != 1 || got.Message != tt.want) {
				t.Fatalf("got %+v\nwant passed=%v %q after 1 attempt", got, tt.passed, tt.want)
			}
			if ran := len(w.srv.ran()) - before; !tt.passed && (ran != 0 || strings.Count(log.String(), "\n") != 1) {
				t.Errorf("after a refused host key: %d commands ran, log %q", ran, log)
			}
		})
	}
}

func TestSSHLoginRefused(t *testing.T) {
	w := newSSHWorld(t)
	stranger, key := writeKey(t, "")
	r, _, _ := testRunner()
	s := w.spec("echo ok", 0, "")
	s.SSH.PrivateKeyFile = stranger
	got := r.Run(context.Background(), []Spec{s})[0]
	want := "gave up after 3 attempts in 4s: ssh " + testUser + "@" + w.srv.addr + ": login refused for key " + ssh.FingerprintSHA256(key.PublicKey())
	if got.Passed || got.Message != want {
		t.Errorf("got %q, want %q", got.Message, want)
	}
	if len(w.srv.ran()) != 0 {
		t.Errorf("commands ran without a login: %q", w.srv.ran())
	}
}

func TestSSHConnectionRefused(t *testing.T) {
	w := newSSHWorld(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	r, _, log := testRunner()
	s := w.spec("echo ok", 0, "")
	s.SSH.Address = addr
	got := r.Run(context.Background(), []Spec{s})[0]
	want := "gave up after 3 attempts in 4s: ssh " + testUser + "@" + addr + ": connection refused"
	if got.Passed || got.Attempts != 3 || got.Message != want {
		t.Errorf("got %+v, want %q", got, want)
	}
	if n := strings.Count(log.String(), "\n"); n != 3 {
		t.Errorf("log has %d lines, want 3", n)
	}
}

func TestSSHHandshakeTimeout(t *testing.T) {
	w := newSSHWorld(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never speaks
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	r, _, _ := testRunner()
	s := w.spec("echo ok", 0, "")
	s.SSH.Address, s.Timeout = silent.Addr().String(), 50*time.Millisecond
	got := r.Run(context.Background(), []Spec{s})[0]
	want := "gave up after 1 attempt in 0s: ssh " + testUser + "@" + silent.Addr().String() + ": timed out connecting"
	if got.Passed || got.Message != want {
		t.Errorf("got %q, want %q", got.Message, want)
	}
}

func TestSSHInterrupted(t *testing.T) {
	w := newSSHWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-w.srv.started // the command runs: SIGINT now
		cancel()
	}()
	r, _, log := testRunner()
	got := r.Run(ctx, []Spec{w.spec("sleep 60", 0, "")})[0]
	if got.Passed || got.Attempts != 1 || got.Message != "interrupted after 1 attempt" {
		t.Errorf("got %+v, want interrupted after 1 attempt", got)
	}
	if log.Len() != 0 {
		t.Errorf("the aborted attempt was logged as a failure: %q", log)
	}
}

func TestSSHSpecErrors(t *testing.T) {
	w := newSSHWorld(t)
	dir := t.TempDir()
	encrypted, _ := writeKey(t, "secret")
	notAKey := filepath.Join(dir, "not-a-key")
	if err := os.WriteFile(notAKey, []byte("-----BEGIN NOTHING-----\nc2VjcmV0\n-----END NOTHING-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	privateKey, err := os.ReadFile(w.target.PrivateKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	who := "ssh " + testUser + "@" + w.srv.addr
	tests := []struct {
		name   string
		change func(*SSH)
		want   string
	}{
		{"no settings", nil, "kind ssh without ssh settings"},
		{"address without port", func(s *SSH) { s.Address = "127.0.0.1" }, `ssh: invalid address "127.0.0.1": want host:port`},
		{"no user", func(s *SSH) { s.User = "" }, "ssh " + w.srv.addr + ": no user to log in as"},
		{"no command", func(s *SSH) { s.Command = " " }, who + ": no command to run"},
		{"exit code", func(s *SSH) { s.ExitCode = 256 }, who + ": exit code 256 is not between 0 and 255"},
		{"no host key", func(s *SSH) { s.HostKey = "\n# none\n" }, who + ": host key: none given; pin the server's public host key"},
		{"private key as host key", func(s *SSH) { s.HostKey = string(privateKey) }, who + ": host key: it holds a private key; give the server's public host key"},
		{"garbage host key", func(s *SSH) { s.HostKey = authorizedKey(w.srv.hostKey) + "\nssh-ed25519 c2VjcmV0" }, who + `: host key: line 2 is not a public key such as "ssh-ed25519 AAAA..."`},
		{"no key file", func(s *SSH) { s.PrivateKeyFile = "" }, who + ": no private key file"},
		{"missing key file", func(s *SSH) { s.PrivateKeyFile = filepath.Join(dir, "nope") }, who + ": private key " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"encrypted key", func(s *SSH) { s.PrivateKeyFile = encrypted }, who + ": private key " + encrypted + " is protected by a passphrase; kiln needs a key without one"},
		{"not a key", func(s *SSH) { s.PrivateKeyFile = notAKey }, who + ": private key " + notAKey + ": not a private key in OpenSSH or PEM format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := w.spec("echo ok", 0, "")
			if tt.change == nil {
				s.SSH = nil
			} else {
				tt.change(s.SSH)
			}
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{s})[0]
			if got.Passed || got.Attempts != 0 || got.Message != tt.want {
				t.Errorf("got %+v\nwant a failure before any attempt: %q", got, tt.want)
			}
			if strings.Contains(got.Message, "c2VjcmV0") || strings.Contains(got.Message, "PRIVATE") {
				t.Errorf("message %q shows key material", got.Message)
			}
		})
	}
}

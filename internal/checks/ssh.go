package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxStderr is how much of a command's standard error an attempt keeps for its message.
const maxStderr = 4 << 10

// SSH is an SSH check: it passes when Command, run on the machine as the SSH server runs
// it (through the user's login shell), exits with ExitCode and the first MiB of its standard
// output contains StdoutContains (when set).
type SSH struct {
	SSHTarget
	Command        string
	ExitCode       int // 0 to 255
	StdoutContains string
}

// sshAttempt returns one attempt at the SSH check s: connect, run the command, compare.
func (r *Runner) sshAttempt(s SSH) (attemptFunc, error) {
	if strings.TrimSpace(s.Command) == "" {
		return nil, fmt.Errorf("ssh %s@%s: no command to run", s.User, s.Address)
	}
	if s.ExitCode < 0 || s.ExitCode > 255 {
		return nil, fmt.Errorf("ssh %s@%s: exit code %d is not between 0 and 255", s.User, s.Address, s.ExitCode)
	}
	c, err := r.prepare("ssh", s.SSHTarget)
	if err != nil {
		return nil, err
	}
	what := c.who + ": " + quoteCommand(s.Command)
	return func(ctx context.Context) (string, error) {
		client, err := c.connect(ctx)
		if err != nil {
			return "", err
		}
		defer client.Close()
		out, err := runCommand(ctx, client, s.Command, nil, maxBody)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if out.signal != "" {
			return "", fmt.Errorf("%s was killed by signal %s, want exit code %d%s", what, out.signal, s.ExitCode, out.excerpt())
		}
		if out.code != s.ExitCode {
			return "", fmt.Errorf("%s exited %d, want %d%s", what, out.code, s.ExitCode, out.excerpt())
		}
		if s.StdoutContains == "" {
			return fmt.Sprintf("%s exited %d", what, out.code), nil
		}
		if !bytes.Contains(out.stdout.Bytes(), []byte(s.StdoutContains)) {
			return "", fmt.Errorf("%s exited %d, but its output (%s) does not contain %q%s",
				what, out.code, bodySize(out.stdout.Len()), s.StdoutContains, out.excerpt())
		}
		return fmt.Sprintf("%s exited %d, output contains %q", what, out.code, s.StdoutContains), nil
	}, nil
}

// output is what a command run over SSH left: its exit code (or the signal that killed it)
// and the first bytes of its standard output and error.
type output struct {
	code           int
	signal         string
	stdout, stderr *capped
}

// excerpt is the first line of the command's standard error, or else of its standard
// output, for a failure message; empty when both are.
func (o output) excerpt() string {
	for _, b := range []struct {
		name string
		text []byte
	}{{"stderr", o.stderr.Bytes()}, {"stdout", o.stdout.Bytes()}} {
		line, _, _ := strings.Cut(strings.TrimSpace(string(b.text)), "\n")
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return fmt.Sprintf("; %s: %q", b.name, line)
		}
	}
	return ""
}

// runCommand runs cmd in a new session of client with stdin as its standard input (none when nil),
// keeping the first limit bytes of its standard output. An error means the command's exit
// status is unknown: the session failed, or ctx ended and closed the connection.
func runCommand(ctx context.Context, client *sshClient, cmd string, stdin io.Reader, limit int) (output, error) {
	out := output{stdout: &capped{limit: limit}, stderr: &capped{limit: maxStderr}}
	sess, err := client.NewSession()
	if err != nil {
		return out, sessionError(ctx, "open a session", err)
	}
	defer sess.Close()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, out.stdout, out.stderr
	err = sess.Run(cmd)
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Signal() != "":
		out.signal = exit.Signal()
	case errors.As(err, &exit):
		out.code = exit.ExitStatus()
	case errors.As(err, &missing):
		return out, errors.New("the command ended without an exit status")
	default:
		return out, sessionError(ctx, "run", err)
	}
	return out, nil
}

// sessionError names what failed; after ctx ended (which closes the connection) it says
// so rather than reporting the closed connection.
func sessionError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return errors.New("timed out")
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: connection closed", op)
	}
	return fmt.Errorf("%s: %s", op, strings.TrimPrefix(err.Error(), "ssh: "))
}

// quoteCommand quotes cmd for a message, cut to its first 80 bytes.
func quoteCommand(cmd string) string {
	if len(cmd) > 80 {
		cmd = cmd[:80] + "..."
	}
	return fmt.Sprintf("%q", cmd)
}

// capped keeps the first limit bytes written to it and drops the rest; it never fails a
// write, so a chatty command still runs to its end.
type capped struct {
	bytes.Buffer
	limit int
}

// Write keeps what fits under the limit.
func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Buffer.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

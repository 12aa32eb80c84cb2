// Package packer runs Packer for kiln and reads what it reports: argv building (init, fmt,
// validate, build -machine-readable) kept apart from running, so tests check the command
// line without the tool; a streaming parser of the machine-readable output.
package packer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/childenv"
	"github.com/kiln-ci/kiln/internal/privdir"
	"github.com/kiln-ci/kiln/internal/supervise"
	"github.com/kiln-ci/kiln/internal/syncio"
)

// Template is a Packer template: a file or a directory of *.pkr.hcl files.
type Template struct {
	Path     string            // absolute path of the file or directory
	Vars     map[string]string // -var name=value (kiln.yaml's packer.vars: not secret)
	VarFiles []string          // -var-file paths, absolute
}

// dirAndArg returns the working directory Packer runs in and the template argument.
func (t Template) dirAndArg() (string, string) {
	if st, err := os.Stat(t.Path); err == nil && st.IsDir() {
		return t.Path, "."
	}
	return filepath.Dir(t.Path), filepath.Base(t.Path)
}

// varArgs returns -var and -var-file arguments, one argv entry each, in a stable order.
func (t Template) varArgs() []string {
	var args []string
	for _, f := range t.VarFiles {
		args = append(args, "-var-file="+f)
	}
	keys := make([]string, 0, len(t.Vars))
	for k := range t.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-var", k+"="+t.Vars[k])
	}
	return args
}

// InitArgs is `packer init` of the template.
func InitArgs(t Template) []string {
	_, arg := t.dirAndArg()
	return []string{"init", arg}
}

// FmtCheckArgs is `packer fmt -check` of the template.
func FmtCheckArgs(t Template) []string {
	_, arg := t.dirAndArg()
	return []string{"fmt", "-check", arg}
}

// ValidateArgs is `packer validate` of the template; syntaxOnly skips the builders' checks.
func ValidateArgs(t Template, syntaxOnly bool) []string {
	_, arg := t.dirAndArg()
	args := []string{"validate"}
	if syntaxOnly {
		args = append(args, "-syntax-only")
	}
	return append(append(args, t.varArgs()...), arg)
}

// BuildArgs is `packer build -machine-readable` of the template: cleaning up after a failed
// build, never asking a question. Every build of the template runs; packer.build only picks
// the artifact that is the image.
func BuildArgs(t Template) []string {
	_, arg := t.dirAndArg()
	args := []string{"build", "-machine-readable", "-color=false", "-on-error=cleanup"}
	return append(append(args, t.varArgs()...), arg)
}

// Runner runs Packer commands.
type Runner struct {
	Exec        string            // the packer binary
	Env         map[string]string // the child's whole environment
	Log         io.Writer         // human-readable output
	StopTimeout time.Duration     // after SIGINT, how long Packer gets to clean up
	// Phase, when set, opens a log section titled title and returns what closes it.
	Phase func(title string) (end func(error))
}

// phase opens the log section titled title, when the caller asked for sections.
func (r *Runner) phase(title string) func(error) {
	if r.Phase == nil {
		return func(error) {}
	}
	return r.Phase(title)
}

// Env returns Packer's environment (childenv.Build): the inherited one, the step's secrets,
// then kiln's settings, with colour and the checkpoint call off; a secret named like one of
// kiln's settings is an error.
func Env(inherited []string, kiln, secrets map[string]string) (map[string]string, error) {
	own := map[string]string{"PACKER_NO_COLOR": "1", "CHECKPOINT_DISABLE": "1"}
	for k, v := range kiln {
		own[k] = v
	}
	return childenv.Build(inherited, own, secrets)
}

// Run runs packer with args in the template's directory; stdout goes to stdout (nil: the
// log), stderr to the log. The error names the command and carries Packer's own last error.
func (r *Runner) Run(ctx context.Context, t Template, args []string, stdout io.Writer) error {
	dir, _ := t.dirAndArg()
	log := r.Log
	if log == nil {
		log = io.Discard
	}
	if stdout == nil {
		stdout = log
	}
	env, cleanup, err := privateTemp(r.Env)
	if err != nil {
		return fmt.Errorf("packer %s: %w", args[0], err)
	}
	defer cleanup()
	defer removeCrashLog(dir, log)()
	// Packer runs under kiln's supervisor, which stops it (and its build VM) if kiln is killed.
	exe, supervisor := supervise.Command(r.Exec, r.StopTimeout, os.TempDir())
	for k, v := range supervisor {
		env[k] = v
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = dir
	cmd.Env = envList(env)
	// os/exec copies stdout and stderr in two goroutines, and both usually end in the log.
	var mu sync.Mutex
	var errTail tail
	cmd.Stdout = syncio.Writer{Mu: &mu, W: stdout}
	cmd.Stderr = syncio.Writer{Mu: &mu, W: io.MultiWriter(log, &errTail)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On cancel Packer gets SIGINT and time to clean up its build VM; then the group dies.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = r.StopTimeout
	err = cmd.Run()
	if cmd.Process != nil && ctx.Err() != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("packer %s: stopped: %w", args[0], context.Canceled)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if msg := errTail.last(); msg != "" {
				return fmt.Errorf("packer %s: %s", args[0], msg)
			}
			return fmt.Errorf("packer %s: exit status %d", args[0], ee.ExitCode())
		}
		return fmt.Errorf("packer %s: %w", args[0], err)
	}
	return nil
}

// privateTemp returns env with TMPDIR set to a new private directory and a function that
// removes it. Packer copies everything it logs, provisioners' output included (so secrets
// a provisioner prints), to a packer-log* file in its TMPDIR, removed only when it exits
// normally; killed after a stop timeout, or crashing, it would leave the file behind. It
// also keeps provisioner scripts and plugin sockets there. kiln removes the directory
// whatever way Packer ended.
func privateTemp(env map[string]string) (map[string]string, func(), error) {
	dir, err := privdir.New(env["TMPDIR"], "pk")
	if err != nil {
		return nil, nil, fmt.Errorf("private temporary directory: %w", err)
	}
	out := make(map[string]string, len(env)+1)
	for k, v := range env {
		out[k] = v
	}
	out["TMPDIR"] = dir
	return out, func() { _ = os.RemoveAll(dir) }, nil
}

// removeCrashLog returns a function that removes the crash.log a panicking Packer writes to
// its working directory during this run: it holds Packer's whole log, provisioners' output
// (and so secrets) included. A crash.log that was there before is left alone.
func removeCrashLog(dir string, log io.Writer) func() {
	path := filepath.Join(dir, "crash.log")
	before, _ := os.Stat(path)
	return func() {
		after, err := os.Stat(path)
		if err != nil || before != nil && after.ModTime().Equal(before.ModTime()) {
			return
		}
		if os.Remove(path) == nil {
			fmt.Fprintf(log, "packer crashed; kiln removed its %s, which may hold secrets\n", path)
		}
	}
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// tail keeps the last non-empty line written to it, bounded, for error messages.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 64<<10 {
		t.buf = t.buf[len(t.buf)-32<<10:]
	}
	return len(p), nil
}

func (t *tail) last() string {
	lines := strings.Split(string(t.buf), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return s
		}
	}
	return ""
}

// Version returns the version `packer version` reports ("1.9.4"), or "" when it says
// nothing recognisable.
func Version(ctx context.Context, exe string) string {
	out, err := exec.CommandContext(ctx, exe, "version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(line), "Packer "), "v")
}

// Package supervise runs Packer and Terraform under a small supervisor: the kiln binary
// itself, started again with KILN_SUPERVISE_TOOL set, which starts the tool and outlives
// kiln. It exists for the one exit kiln cannot handle, its own SIGKILL (a runner's grace
// period ending, an OOM kill): terraform-exec starts Terraform with a parent-death SIGKILL,
// which would kill it mid-apply with its state lock held, and Packer without one would
// finish its build unsupervised. Under the supervisor, kiln's death reaches the tool as the
// SIGINT of an ordinary cancel: Terraform saves its state and releases its lock, Packer
// removes its build VM; then the supervisor kills what is left of its process group
// (provisioners' children) and removes the private directories of kiln processes that no
// longer run (secret variable files). A tool's output is copied through the supervisor, so
// the tool never dies of a broken pipe when kiln's end of it is gone.
//
// The supervisor runs from this package's init, before anything else in the binary, so
// every binary that runs a tool through Command (the steps, and test binaries) can be it.
package supervise

import (
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/privdir"
)

// The supervisor's settings, in the environment kiln gives it; never passed to the tool.
const (
	// Prefix starts every variable of the supervisor's (reserved in childenv).
	Prefix    = "KILN_SUPERVISE_"
	envTool   = Prefix + "TOOL"   // the tool's executable
	envParent = Prefix + "PARENT" // the pid of the kiln process that started it
	envGrace  = Prefix + "GRACE"  // after SIGINT, how long the tool gets (Go duration, 0: no limit)
	envSweep  = Prefix + "SWEEP"  // where kiln's private directories are, "" for the default
)

func init() {
	if os.Getenv(envTool) == "" {
		return
	}
	if !startedByKiln() {
		// Settings inherited from somewhere else (a job's variables): kiln runs as itself,
		// and passes them to nobody.
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, Prefix) {
				os.Unsetenv(k)
			}
		}
		return
	}
	// init runs on the process's main thread, whose parent-death signal is the one the
	// kernel sends.
	os.Exit(supervise())
}

// startedByKiln reports whether this process is a supervisor kiln started: its parent is
// the process KILN_SUPERVISE_PARENT names, and runs this same executable.
func startedByKiln() bool {
	parent, err := strconv.Atoi(os.Getenv(envParent))
	if err != nil || parent <= 1 || parent != os.Getppid() {
		return false
	}
	self, err1 := os.Readlink("/proc/self/exe")
	theirs, err2 := os.Readlink("/proc/" + strconv.Itoa(parent) + "/exe")
	return err1 == nil && err2 == nil && self == theirs
}

// Command returns the executable to start for tool and the variables to add to its
// environment so that it runs under the supervisor. grace is how long the tool gets after
// SIGINT when kiln died before the supervisor kills it; sweep is the base directory of
// kiln's private directories ("" for the system's).
func Command(tool string, grace time.Duration, sweep string) (exe string, env map[string]string) {
	self, err := os.Executable()
	if _, lerr := exec.LookPath(tool); err != nil || lerr != nil {
		// No supervisor: the tool runs (or fails to start) as it would without one.
		return tool, owner.Current().Env()
	}
	env = owner.Current().Env() // the tool, and what it starts, carry the run's labels
	env[envTool] = tool
	env[envParent] = strconv.Itoa(os.Getpid())
	env[envGrace] = grace.String()
	env[envSweep] = sweep
	return self, env
}

// Self is the executable the supervisor runs as, as /proc shows it (to find its processes).
func Self() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	return self
}

// pollParent is how often the supervisor checks that kiln still runs: the parent-death
// signal is sent when the thread that started the supervisor exits, which may be before or
// (when a Go runtime thread ends) without kiln's exit.
const pollParent = 250 * time.Millisecond

func supervise() int {
	runtime.LockOSThread()
	parent, _ := strconv.Atoi(os.Getenv(envParent))
	grace, _ := time.ParseDuration(os.Getenv(envGrace))
	sweep := os.Getenv(envSweep)
	tool := os.Getenv(envTool)
	// terraform-exec asks for SIGKILL on its parent's death; the supervisor wants to know.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)

	cmd := exec.Command(tool, os.Args[1:]...)
	// What stays in this process group belongs to the run; what leaves it (setsid, a
	// daemonizing VM) is meant to outlive it, and kiln-sweep leaves it alone.
	cmd.Env = append(toolEnv(os.Environ()), owner.EnvGroup+"="+strconv.Itoa(syscall.Getpgrp()))
	cmd.Stdin = os.Stdin
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail(tool, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return fail(tool, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		return fail(tool, err)
	}
	outW.Close()
	errW.Close()
	copied := make(chan struct{}, 2)
	go drain(os.Stdout, outR, copied)
	go drain(os.Stderr, errR, copied)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	tick := time.NewTicker(pollParent)
	defer tick.Stop()
	var interrupted, orphaned bool
	var deadline <-chan time.Time
	stop := func() {
		if !interrupted {
			interrupted = true
			_ = cmd.Process.Signal(syscall.SIGINT)
			if grace > 0 {
				deadline = time.After(grace)
			}
		}
	}
	for {
		select {
		case err := <-exited:
			if interrupted {
				// What the tool's provisioners started is still in this process group.
				killGroup()
			}
			// The tool's last output is in the pipes; a process it left running may hold
			// them open, so the copy gets a moment, not a promise.
			flushed := time.After(2 * time.Second)
			for n := 0; n < 2; n++ {
				select {
				case <-copied:
				case <-flushed:
					n = 2
				}
			}
			if orphaned {
				_, _ = privdir.Sweep(sweep)
			}
			return exitCode(err)
		case s := <-signals:
			if s == syscall.SIGTERM && os.Getppid() == parent {
				continue // the parent-death signal of an exited thread, not of kiln
			}
			if os.Getppid() != parent {
				orphaned = true
			}
			stop()
		case <-tick.C:
			if os.Getppid() != parent {
				orphaned = true
				stop()
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			killGroup()
		}
	}
}

// drain copies r to w until r ends, going on reading once w fails (kiln's end of the pipe
// is gone), so that the tool never blocks or dies on its output.
func drain(w io.Writer, r io.ReadCloser, done chan<- struct{}) {
	defer func() { r.Close(); done <- struct{}{} }()
	buf := make([]byte, 32*1024)
	broken := false
	for {
		n, err := r.Read(buf)
		if n > 0 && !broken {
			if _, werr := w.Write(buf[:n]); werr != nil {
				broken = true
			}
		}
		if err != nil {
			return
		}
	}
}

// toolEnv is the supervisor's environment less its own settings.
func toolEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, Prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

func fail(tool string, err error) int {
	os.Stderr.WriteString("kiln supervisor: start " + tool + ": " + err.Error() + "\n")
	return 127
}

// killGroup kills every other process of the supervisor's process group, twice over in case
// one forked while the first pass ran.
func killGroup() {
	self := os.Getpid()
	pgid := syscall.Getpgrp()
	for pass := 0; pass < 2; pass++ {
		for _, pid := range groupMembers(pgid) {
			if pid != self {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// groupMembers lists the processes of process group pgid, from /proc.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if owner.Group(pid) == pgid {
			out = append(out, pid)
		}
	}
	return out
}

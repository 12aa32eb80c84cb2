package terraform

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
)

// Terraform must stop gracefully when kiln is interrupted: it then stops its provisioners,
// saves its state and releases its lock. terraform-exec v0.23.0 sends SIGINT on cancel, but
// also closes the pipes it reads Terraform's output from, and Terraform dies of SIGPIPE at
// its next line of output, leaving the lock held and the state unsaved
// (https://github.com/hashicorp/terraform-exec/pull/523,
// https://github.com/hashicorp/terraform/issues/31911). So terraform-exec gets a context that
// is never cancelled, and kiln interrupts Terraform itself.

// pollInterval is how often, once interrupted, kiln looks for Terraform processes to signal:
// terraform-exec may start one (after `terraform version`) after the first was signalled.
const pollInterval = 100 * time.Millisecond

// detached runs f with a context that ctx's cancellation does not reach. Once ctx is done,
// every Terraform process this process started gets SIGINT, and its process group SIGKILL
// when it is still running StopTimeout later (never, when StopTimeout is 0), or once it has
// stopped (what its provisioners left running).
func (t *TF) detached(ctx context.Context, f func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t.interrupt(done)
	}()
	err := f(context.WithoutCancel(ctx))
	close(done)
	<-stopped
	return err
}

// interrupt signals Terraform's processes until done is closed.
func (t *TF) interrupt(done <-chan struct{}) {
	exe := t.exe
	if exe == "" {
		exe = t.o.Exec
	}
	exe = resolve(exe)
	killAfter := int((t.o.StopTimeout + pollInterval - 1) / pollInterval) // in ticks
	signalled := map[int]int{}                                            // pid -> tick of its SIGINT
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		for _, pid := range children(exe) {
			at, ok := signalled[pid]
			switch {
			case !ok:
				_ = syscall.Kill(pid, syscall.SIGINT)
				signalled[pid] = n
			case killAfter > 0 && n-at >= killAfter:
				_ = syscall.Kill(-pid, syscall.SIGKILL) // terraform-exec starts it in its own group
			}
		}
		select {
		case <-done:
			// Terraform stopped (it saved its state and released its lock) and killed its
			// provisioners' shells, but not what those started: kill what is left of each
			// interrupted Terraform's process group, so that no provisioner's child (a VM
			// boot script, a sleep) outlives the step.
			for pid := range signalled {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			return
		case <-tick.C:
		}
	}
}

// children returns the processes whose parent is this process and whose executable is exe.
// An exited child not yet waited for is a zombie: signalling it does nothing, and its pid
// cannot be reused until terraform-exec has waited for it.
func children(exe string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || owner.Parent(pid) != self {
			continue
		}
		if p, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && p == exe {
			out = append(out, pid)
		}
	}
	return out
}

// resolve returns the absolute path of exe with symbolic links resolved, as /proc shows it.
func resolve(exe string) string {
	if p, err := filepath.Abs(exe); err == nil {
		exe = p
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	return exe
}

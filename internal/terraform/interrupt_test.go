package terraform

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
)

// TestDetached stands a process in for Terraform: once the context is done it gets SIGINT,
// and SIGKILL after StopTimeout when it ignores SIGINT, as terraform-exec starts it: in its
// own process group.
func TestDetached(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	for _, tc := range []struct {
		name       string
		ignoreInt  bool
		stop       time.Duration
		wantSignal syscall.Signal
	}{
		{"SIGINT", false, time.Minute, syscall.SIGINT},
		{"SIGKILL after the stop timeout", true, 200 * time.Millisecond, syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf := &TF{o: Options{Exec: sleep, StopTimeout: tc.stop}}
			ctx, cancel := context.WithCancel(context.Background())
			var inner context.Context
			err := tf.detached(ctx, func(c context.Context) error {
				inner = c
				cmd := exec.Command(sleep, "300")
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if tc.ignoreInt {
					// exec keeps ignored signals ignored.
					cmd = exec.Command("sh", "-c", "trap '' INT; exec "+sleep+" 300")
					cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				}
				if err := cmd.Start(); err != nil {
					return err
				}
				for len(children(resolve(sleep))) == 0 { // until sh has exec'd sleep
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
				return cmd.Wait()
			})
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("f returned %v, want an exit error", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != tc.wantSignal {
				t.Errorf("the process ended with %v, want signal %v", ws, tc.wantSignal)
			}
			if inner.Err() != nil {
				t.Error("f's context was cancelled with the caller's")
			}
		})
	}
}

func TestDetachedDone(t *testing.T) {
	tf := &TF{o: Options{Exec: "/nonexistent/terraform"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := tf.detached(ctx, func(context.Context) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("detached on a done context: %v, ran %v", err, ran)
	}
	if err := tf.detached(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Errorf("detached: %v", err)
	}
}

func TestChildren(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	cmd := exec.Command(sleep, "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if got := children(resolve(sleep)); len(got) != 1 || got[0] != cmd.Process.Pid {
		t.Errorf("children(sleep) = %v, want [%d]", got, cmd.Process.Pid)
	}
	if got := children(filepath.Join(t.TempDir(), "terraform")); len(got) != 0 {
		t.Errorf("children(another binary) = %v", got)
	}
	if got := owner.Parent(cmd.Process.Pid); got != syscall.Getpid() {
		t.Errorf("owner.Parent = %d, want %d", got, syscall.Getpid())
	}
}

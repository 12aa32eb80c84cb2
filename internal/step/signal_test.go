package step

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

func TestSignalCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  os.Signal // nil: cancelled without a signal
		want int
	}{
		{"SIGINT", syscall.SIGINT, 130},
		{"os.Interrupt", os.Interrupt, 130},
		{"SIGTERM", syscall.SIGTERM, 143},
		{"no signal", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan os.Signal, 1)
			ctx, stop := notifyContext(context.Background(), ch)
			if tc.sig != nil {
				ch <- tc.sig
			} else {
				stop()
			}
			<-ctx.Done()
			if got := SignalCode(ctx); got != tc.want {
				t.Errorf("SignalCode = %d, want %d (cause %v)", got, tc.want, context.Cause(ctx))
			}
			if !errors.Is(ctx.Err(), context.Canceled) {
				t.Errorf("ctx.Err() = %v, want context.Canceled", ctx.Err())
			}
			stop() // after the signal, stop keeps the signal's cause
			if got := SignalCode(ctx); got != tc.want {
				t.Errorf("after stop, SignalCode = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSignalCodeOtherContexts(t *testing.T) {
	if got := SignalCode(context.Background()); got != 0 {
		t.Errorf("SignalCode(Background) = %d", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := SignalCode(ctx); got != 0 {
		t.Errorf("SignalCode(cancelled) = %d", got)
	}
	// A signal-cancelled parent makes its children report the signal too.
	ch := make(chan os.Signal, 1)
	parent, stop := notifyContext(context.Background(), ch)
	defer stop()
	child, cancelChild := context.WithCancel(parent)
	defer cancelChild()
	ch <- syscall.SIGTERM
	<-child.Done()
	if got := SignalCode(child); got != 143 {
		t.Errorf("SignalCode(child) = %d, want 143", got)
	}
}

// TestNotifyContext sends a real SIGINT to the test process, which NotifyContext catches.
func TestNotifyContext(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	if got := SignalCode(ctx); got != 130 {
		t.Errorf("SignalCode = %d, want 130", got)
	}
}

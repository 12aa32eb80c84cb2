package step

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// NotifyContext returns a context cancelled, with the signal as its cause, on the first
// SIGINT or SIGTERM. The step then stops its child tool gracefully and Main exits 130 or 143.
func NotifyContext(parent context.Context) (context.Context, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, stop := notifyContext(parent, ch)
	return ctx, func() { signal.Stop(ch); stop() }
}

// notifyContext returns a context cancelled, with the signal as its cause, on the first
// signal received from ch; tests feed ch directly.
func notifyContext(parent context.Context, ch <-chan os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case s := <-ch:
			cancel(signalError{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// SignalCode returns 130 or 143 when ctx was cancelled by SIGINT or SIGTERM, else 0.
func SignalCode(ctx context.Context) int {
	var se signalError
	if !errors.As(context.Cause(ctx), &se) {
		return 0
	}
	if se.sig == syscall.SIGTERM {
		return exitcode.Terminated
	}
	return exitcode.Interrupted
}

package terraform

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// call runs one terraform-exec command for op, detached from ctx (see interrupt.go), and
// turns its error into one line.
func (t *TF) call(ctx context.Context, op string, f func(context.Context) error) error {
	return t.check(ctx, op, t.detached(ctx, f))
}

// check is wrap, except that any error after ctx is done means Terraform was stopped.
func (t *TF) check(ctx context.Context, op string, err error) error {
	if err != nil && ctx.Err() != nil {
		return t.wrap(op, ctx.Err())
	}
	return t.wrap(op, err)
}

// wrap turns a terraform-exec error into one line: the state lock error becomes a *LockError,
// cancellation stays recognisable, anything else keeps Terraform's own first error line.
func (t *TF) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("terraform %s in %s: stopped: %w", op, t.o.Dir, context.Canceled)
	}
	msg := err.Error()
	if lock := parseLock(msg); lock != nil {
		if lock.ID != "unknown" {
			ws := ""
			if t.o.Workspace != "" && t.o.Workspace != "default" {
				ws = "TF_WORKSPACE=" + t.o.Workspace + " "
			}
			if t.o.DataDir != "" {
				ws = "TF_DATA_DIR=" + t.o.DataDir + " " + ws
			}
			lock.Unlock = fmt.Sprintf("%sterraform -chdir=%s force-unlock -force %s", ws, t.o.Dir, lock.ID)
		}
		return exitcode.Wrap(exitcode.Locked, lock)
	}
	return fmt.Errorf("terraform %s in %s: %s", op, t.o.Dir, firstError(msg))
}

// firstError picks Terraform's own "Error: ..." line out of its stderr.
func firstError(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "│╷╵ "))
		if strings.HasPrefix(line, "Error: ") {
			return strings.TrimPrefix(line, "Error: ")
		}
	}
	return strings.SplitN(strings.TrimSpace(msg), "\n", 2)[0]
}

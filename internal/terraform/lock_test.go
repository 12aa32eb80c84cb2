package terraform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// lockPlain is what Terraform 1.5.7 prints on stderr, with -no-color (as terraform-exec runs
// it), when another process holds the local backend's lock; terraform-exec puts the exit
// status in front.
const lockPlain = "exit status 1\n" +
	"\nError: Error acquiring the state lock\n\nError message: resource temporarily unavailable\nLock Info:\n" +
	"  ID:        8d3b5a4e-7c1f-4b9e-a0d2-5f6e7a8b9c0d\n" +
	"  Path:      terraform.tfstate.d/dev/terraform.tfstate\n" +
	"  Operation: OperationTypeApply\n" +
	"  Who:       ci-runner-7@build-host\n" +
	"  Version:   1.5.7\n" +
	"  Created:   2026-11-21 10:30:00.123456789 +0000 UTC\n" +
	"  Info:      \n\n\n" +
	"Terraform acquires a state lock to protect the state from being written\n" +
	"by multiple users at the same time. Please resolve the issue above and try\n" +
	"again. For most commands, you can disable locking with the \"-lock=false\"\n" +
	"flag, but this is not recommended.\n"

// boxed draws a diagnostic as Terraform does with colour on (colour codes left out).
func boxed(lines ...string) string {
	var b strings.Builder
	b.WriteString("exit status 1\n\n╷\n")
	for _, l := range lines {
		b.WriteString("│ " + l + "\n")
	}
	b.WriteString("╵\n")
	return b.String()
}

func TestParseLock(t *testing.T) {
	full := &LockError{ID: "8d3b5a4e-7c1f-4b9e-a0d2-5f6e7a8b9c0d", Who: "ci-runner-7@build-host",
		Operation: "OperationTypeApply", Created: "2026-11-21 10:30:00.123456789 +0000 UTC",
		Reason: "resource temporarily unavailable"}
	for _, tc := range []struct {
		name string
		msg  string
		want *LockError
	}{
		{"plain", lockPlain, full},
		{"boxed", boxed(strings.Split(strings.TrimPrefix(lockPlain, "exit status 1\n\n"), "\n")...), full},
		{"no lock info", "exit status 1\n\nError: Error acquiring the state lock\n\n" +
			"Error message: AccessDeniedException: not authorized to perform dynamodb:PutItem\n",
			&LockError{ID: "unknown", Reason: "AccessDeniedException: not authorized to perform dynamodb:PutItem"}},
		{"another error", "exit status 1\n\nError: Invalid reference\n\nID: not a lock\n", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseLock(tc.msg)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("parseLock =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestLockErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  LockError
		want string
	}{
		{LockError{ID: "8d3b", Who: "ci@host", Operation: "OperationTypeApply", Created: "2026-11-21 10:30:00 +0000 UTC"},
			"terraform state is locked by ci@host (OperationTypeApply since 2026-11-21 10:30:00 +0000 UTC); lock id 8d3b"},
		{LockError{ID: "8d3b", Operation: "OperationTypePlan"}, "terraform state is locked (OperationTypePlan); lock id 8d3b"},
		{LockError{ID: "8d3b"}, "terraform state is locked; lock id 8d3b"},
		{LockError{ID: "unknown", Reason: "AccessDenied"}, "terraform state lock not acquired: AccessDenied"},
		{LockError{ID: "unknown"}, "terraform state is locked; lock id unknown"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestFirstError(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"plain", "exit status 1\n\nError: Unsupported argument\n\n  on main.tf line 3:\n", "Unsupported argument"},
		{"boxed", boxed("Error: Reference to undeclared input variable", "", `  on main.tf line 2, in resource "terraform_data" "a":`),
			"Reference to undeclared input variable"},
		{"warning first", boxed("Warning: Unable to open CLI configuration file", "") + boxed("Error: No configuration files"),
			"No configuration files"},
		{"first of two", "Error: one\n\nError: two\n", "one"},
		{"no Error line", "exit status 1\nsomething else\n", "exit status 1"},
		{"leading blank lines", "\n\n  exit status 2\nmore", "exit status 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := firstError(tc.msg); got != tc.want {
				t.Errorf("firstError = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tf := &TF{o: Options{Dir: "/repo/terraform", DataDir: "/repo/.kiln/terraform/dev", Workspace: "dev"}}
	for _, tc := range []struct {
		name     string
		err      error
		want     string
		wantCode int
		canceled bool
	}{
		{"nil", nil, "", 0, false},
		{"lock", errors.New(lockPlain), "terraform state is locked by ci-runner-7@build-host (OperationTypeApply since 2026-11-21 10:30:00.123456789 +0000 UTC); lock id 8d3b5a4e-7c1f-4b9e-a0d2-5f6e7a8b9c0d" +
			"; if no run holds it any more (a job killed mid-apply), release it with: " +
			"TF_DATA_DIR=/repo/.kiln/terraform/dev TF_WORKSPACE=dev terraform -chdir=/repo/terraform force-unlock -force 8d3b5a4e-7c1f-4b9e-a0d2-5f6e7a8b9c0d",
			exitcode.Locked, false},
		{"tool error", errors.New("exit status 1\n\nError: Unsupported argument\n\nmore"),
			"terraform plan in /repo/terraform: Unsupported argument", exitcode.Failed, false},
		{"canceled", fmt.Errorf("run: %w", context.Canceled), "terraform plan in /repo/terraform: stopped: context canceled", exitcode.Failed, true},
		{"deadline", context.DeadlineExceeded, "terraform plan in /repo/terraform: stopped: context canceled", exitcode.Failed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tf.wrap("plan", tc.err)
			if tc.err == nil {
				if err != nil {
					t.Errorf("wrap(nil) = %v", err)
				}
				return
			}
			if err.Error() != tc.want {
				t.Errorf("wrap = %q, want %q", err, tc.want)
			}
			if got := exitcode.Of(err); got != tc.wantCode {
				t.Errorf("exit code %d, want %d", got, tc.wantCode)
			}
			if errors.Is(err, context.Canceled) != tc.canceled {
				t.Errorf("errors.Is(context.Canceled) = %v", !tc.canceled)
			}
			var le *LockError
			if errors.As(err, &le) != (tc.wantCode == exitcode.Locked) {
				t.Errorf("errors.As(*LockError) disagrees with the exit code")
			}
		})
	}
}

// TestParseLockHTTPBackend: the http backend's message names the holder's id after
// "already locked:"; the Lock Info block that follows is Terraform's own request.
func TestParseLockHTTPBackend(t *testing.T) {
	msg := "Error: Error acquiring the state lock\n\nError message: HTTP remote state already locked:\nID=f00dfeed-held\nLock Info:\n  ID:        de6d3431-own\n  Operation: OperationTypePlan\n  Who:       root@vm\n"
	e := parseLock(msg)
	if e == nil || e.ID != "f00dfeed-held" || strings.Contains(e.Error(), "root@vm") {
		t.Fatalf("parseLock = %+v (%v)", e, e)
	}
}

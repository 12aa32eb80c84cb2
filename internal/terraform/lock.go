package terraform

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// LockError is a state lock held by someone else. Reason is Terraform's "Error message",
// shown when Terraform could not say who holds the lock (a backend that refused the lock
// request for another reason says so there).
type LockError struct {
	ID, Who, Operation, Created, Reason string
	// Unlock is how to release the lock by hand when no run holds it any more (a job killed
	// mid-apply), when kiln knows the lock id.
	Unlock string
}

func (e *LockError) Error() string {
	if e.ID == "unknown" && e.Reason != "" {
		return "terraform state lock not acquired: " + e.Reason
	}
	s := "terraform state is locked"
	if e.Who != "" {
		s += " by " + e.Who
	}
	if e.Operation != "" {
		s += " (" + e.Operation
		if e.Created != "" {
			s += " since " + e.Created
		}
		s += ")"
	}
	s += fmt.Sprintf("; lock id %s", e.ID)
	if e.Unlock != "" {
		s += "; if no run holds it any more (a job killed mid-apply), release it with: " + e.Unlock
	}
	return s
}

// parseLock reads Terraform's "Error acquiring the state lock" message and its Lock Info block.
func parseLock(msg string) *LockError {
	if !strings.Contains(msg, "Error acquiring the state lock") {
		return nil
	}
	e := &LockError{}
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "│╷╵ "))
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "ID":
			e.ID = val
		case "Who":
			e.Who = val
		case "Operation":
			e.Operation = val
		case "Created":
			e.Created = val
		case "Error message":
			e.Reason = val
		}
	}
	// The http backend (GitLab-managed state) names only the holder's lock id, as
	// "already locked: ID=<id>"; its Lock Info block is the lock Terraform asked for, not
	// the holder's, so it says nothing about who holds the lock.
	if i := strings.Index(msg, "already locked:"); i >= 0 {
		rest := strings.TrimSpace(msg[i+len("already locked:"):])
		if id, ok := strings.CutPrefix(rest, "ID="); ok {
			e = &LockError{ID: strings.TrimSpace(strings.SplitN(id, "\n", 2)[0]), Who: "another run (the backend does not say who)"}
		}
	}
	if e.ID == "" {
		e.ID = "unknown"
	}
	return e
}

// probeAddress is a resource address no configuration has: removing it from the state in
// a dry run changes nothing, but Terraform takes the state lock first.
const probeAddress = "kiln_lock_probe.probe"

// LockHolder reports who holds the workspace's state lock, or nil when it is free: it asks
// for the lock without waiting, as a dry-run `terraform state rm` of an address no state
// has, which writes nothing and releases the lock at once when it got it.
func (t *TF) LockHolder(ctx context.Context) (*LockError, error) {
	t.quiet()
	err := t.call(ctx, "state lock probe", func(ctx context.Context) error {
		return t.tf.StateRm(ctx, probeAddress, tfexec.DryRun(true), tfexec.Lock(true), tfexec.LockTimeout("0s"))
	})
	var le *LockError
	switch {
	case errors.As(err, &le):
		return le, nil
	case err == nil, strings.Contains(err.Error(), "No matching objects found"), strings.Contains(err.Error(), "Invalid target address"),
		strings.Contains(err.Error(), "No state file was found"):
		return nil, nil // the lock was taken and given back
	default:
		return nil, err
	}
}

// ForceUnlock releases the workspace's state lock id.
func (t *TF) ForceUnlock(ctx context.Context, id string) error {
	t.show()
	return t.call(ctx, "force-unlock", func(ctx context.Context) error {
		return t.tf.ForceUnlock(ctx, id)
	})
}

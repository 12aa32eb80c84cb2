package terraform

import (
	"fmt"
	"strings"
)

// LockError is a state lock held by someone else.
type LockError struct {
	ID, Who, Operation, Created string
}

func (e *LockError) Error() string {
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
	return s + fmt.Sprintf("; lock id %s", e.ID)
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
		}
	}
	if e.ID == "" {
		e.ID = "unknown"
	}
	return e
}

// Package exitcode names the exit codes every kiln step shares and carries them on errors.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes of every kiln step; they are part of kiln's contract and listed in --help.
const (
	// OK means the step did what it was asked, or found nothing to do.
	OK = 0
	// Failed means a tool failed or a check failed.
	Failed = 1
	// Usage means a bad flag, a malformed kiln.yaml or an invalid setting.
	Usage = 2
	// Locked means a state lock is held by another run.
	Locked = 3
	// VaultUnavailable means Vault is unreachable or sealed.
	VaultUnavailable = 4
	// VaultDenied means a Vault login or read was denied, or the token expired.
	VaultDenied = 5
	// RecordInvalid means kiln-image.json is missing, truncated, edited or of another schema.
	RecordInvalid = 6
	// ImageNotFound means the image the record names is not in the registry.
	ImageNotFound = 7
	// PromotionRefused means the gate refused to promote the image (or kiln-revoke refused to
	// revoke the family's current image with no image to roll back to).
	PromotionRefused = 8
	// Drifted means kiln-drift found an environment that is not what kiln deployed.
	Drifted = 9
	// Interrupted means SIGINT stopped the step (after the child tool stopped).
	Interrupted = 130
	// Terminated means SIGTERM stopped the step (after the child tool stopped).
	Terminated = 143
)

// Error is an error that decides the process exit code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given exit code and a formatted message.
func New(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Wrap attaches an exit code to err; a nil err stays nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Of returns the exit code err asks for: OK for nil, the innermost coded error's code,
// and Failed for any other error.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failed
}

// Table lists the codes with a short meaning each, for --help.
var Table = []struct {
	Code    int
	Meaning string
}{
	{OK, "ok (also: nothing to do)"},
	{Failed, "the step failed (a tool failed, a check failed)"},
	{Usage, "usage or configuration error"},
	{Locked, "state lock held / concurrent run"},
	{VaultUnavailable, "Vault unreachable or sealed"},
	{VaultDenied, "Vault auth denied or expired"},
	{RecordInvalid, "record missing or invalid"},
	{ImageNotFound, "image not found"},
	{PromotionRefused, "promotion refused (a revoked image, too)"},
	{Drifted, "drift found (kiln-drift)"},
	{Interrupted, "interrupted by SIGINT (after the child tool stopped)"},
	{Terminated, "terminated by SIGTERM (after the child tool stopped)"},
}

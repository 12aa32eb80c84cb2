package step

import (
	"fmt"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// SkipError says a step had nothing to do; the runner logs the reason and exits 0.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "nothing to do: " + e.Reason }

// Skip returns a SkipError with a formatted reason.
func Skip(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...)}
}

// oneLine keeps the first non-empty line of a message, so the user sees one clear line.
func oneLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return "unknown error"
}

// UsageError returns an error that exits with exitcode.Usage.
func UsageError(format string, args ...any) error {
	return exitcode.New(exitcode.Usage, format, args...)
}

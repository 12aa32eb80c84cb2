package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// opKind says what a request was for, which decides how a 400 is read.
type opKind int

const (
	opLogin opKind = iota // a 400 from a login is a refused credential
	opRead                // a 400 from a read is a request kiln.yaml got wrong
)

// maxDetail bounds how much of Vault's message (an HTML page from a proxy...) is kept.
const maxDetail = 300

// fail turns an error of the request described by op ("login with auth/jwt role x",
// "read kv/data/app") into a one-line error with kiln's exit code.
func (c *vaultClient) fail(ctx context.Context, kind opKind, op string, err error) error {
	if ctx.Err() != nil { // interrupted: the runner maps the signal to its exit code
		return fmt.Errorf("vault: %s: %w", op, ctx.Err())
	}
	if kind == opRead && c.who != "" {
		op += " (as " + c.who + ")"
	}
	var re *api.ResponseError
	if !errors.As(err, &re) {
		return exitcode.New(exitcode.VaultUnavailable, "vault at %s unreachable: %s: %s",
			c.addr, op, c.creds.String(err.Error()))
	}
	detail := cleanDetail(c.creds.String(strings.Join(re.Errors, "\n")))
	if len(detail) > maxDetail {
		detail = detail[:maxDetail] + "..."
	}
	if re.StatusCode == http.StatusForbidden && c.unverified {
		detail += "; the token could not look itself up either: it may be expired or invalid"
	}
	e := &vaultError{status: re.StatusCode, detail: detail, err: re}
	return exitcode.Wrap(codeFor(kind, re.StatusCode), fmt.Errorf("vault: %s: %w", op, e))
}

// multiHeader is the first line of Vault's multi-error text: "1 error occurred:".
var multiHeader = regexp.MustCompile(`^\d+ errors? occurred:$`)

// cleanDetail puts Vault's messages on one line, without multi-error headers and bullets.
func cleanDetail(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "* "))
		if l != "" && !multiHeader.MatchString(l) {
			parts = append(parts, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(parts, "; ")
}

// codeFor maps an HTTP status to an exit code.
func codeFor(kind opKind, status int) int {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return exitcode.VaultDenied
	case status == http.StatusBadRequest && kind == opLogin:
		return exitcode.VaultDenied
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusPreconditionFailed:
		return exitcode.VaultUnavailable
	case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return exitcode.Usage
	}
	return exitcode.Failed
}

// vaultError is Vault's answer on one line: "permission denied (HTTP 403)", with the
// api's error (URL, method, every message) underneath for errors.As.
type vaultError struct {
	status int
	detail string
	err    *api.ResponseError
}

func (e *vaultError) Error() string {
	text := e.detail
	switch {
	case e.status == http.StatusServiceUnavailable && strings.Contains(text, "sealed"):
		text = "Vault is sealed"
	case text == "":
		text = strings.ToLower(http.StatusText(e.status))
	}
	return fmt.Sprintf("%s (HTTP %d)", text, e.status)
}

func (e *vaultError) Unwrap() error { return e.err }

// isStatus reports whether err is a Vault answer with one of the statuses.
func isStatus(err error, statuses ...int) bool {
	var re *api.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	for _, s := range statuses {
		if re.StatusCode == s {
			return true
		}
	}
	return false
}

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
	e := answer(re, c.creds.String)
	if re.StatusCode == http.StatusForbidden && c.unverified {
		e.detail += "; the token could not look itself up either: it may be expired or invalid"
	}
	return exitcode.Wrap(codeFor(kind, re.StatusCode), fmt.Errorf("vault: %s: %w", op, e))
}

// answer puts Vault's answer re on one line, its messages passed through redact first.
func answer(re *api.ResponseError, redact func(string) string) *vaultError {
	detail := cleanDetail(redact(strings.Join(re.Errors, "\n")))
	if len(detail) > maxDetail {
		detail = detail[:maxDetail] + "..."
	}
	return &vaultError{status: re.StatusCode, detail: detail, err: re}
}

// OneLine puts the error of a Vault request that kiln makes outside this package (the
// transit engine) on one line: Vault's messages and the HTTP status for an answer
// ("permission denied (HTTP 403)"), the api's error underneath for errors.As.
func OneLine(err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return answer(re, func(s string) string { return s })
	}
	return &lineError{text: strings.Join(strings.Fields(err.Error()), " "), err: err}
}

// lineError is an error with a one-line message of its own.
type lineError struct {
	text string
	err  error
}

func (e *lineError) Error() string { return e.text }
func (e *lineError) Unwrap() error { return e.err }

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

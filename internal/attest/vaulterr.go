package attest

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// maxDetail bounds how much of Vault's message (an HTML page from a proxy...) is kept.
const maxDetail = 300

// multiHeader is the first line of Vault's multi-error text: "1 error occurred:".
var multiHeader = regexp.MustCompile(`^\d+ errors? occurred:$`)

// vaultError puts the error of a Vault request on one line: Vault's messages and the
// HTTP status for an answer ("permission denied (HTTP 403)"), the api's error (URL,
// method, every message, on several lines) underneath for errors.As.
func vaultError(err error) error {
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) {
		return &lineError{text: oneLine(err.Error()), err: err}
	}
	var parts []string
	for _, l := range strings.Split(strings.Join(re.Errors, "\n"), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "* "))
		if l != "" && !multiHeader.MatchString(l) {
			parts = append(parts, oneLine(l))
		}
	}
	text := strings.Join(parts, "; ")
	if len(text) > maxDetail {
		text = text[:maxDetail] + "..."
	}
	if text == "" {
		text = strings.ToLower(http.StatusText(re.StatusCode))
	}
	return &lineError{text: fmt.Sprintf("%s (HTTP %d)", text, re.StatusCode), err: err}
}

// lineError is an error with a one-line message of its own.
type lineError struct {
	text string
	err  error
}

func (e *lineError) Error() string { return e.text }
func (e *lineError) Unwrap() error { return e.err }

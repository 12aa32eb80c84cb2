// Package gitlab is kiln's side of the GitLab REST API (v4), through
// gitlab.com/gitlab-org/api/client-go: from a commit on the promote.to branch it finds the
// merged merge request that made it (merge commit, squash or fast-forward), the newest
// successful pipeline of that merge request's head commit on promote.from, and the image
// record in that pipeline's test job artifacts; it verifies the record and notes the
// promotion on the merge request, once.
//
// Errors carry exit codes (internal/exitcode): a refused gate (no merged merge request, no
// successful pipeline, a failed test job, a record for another commit or with failed tests)
// is exitcode.PromotionRefused; a missing or invalid record (no test job, no artifact, an
// artifact that does not decode) is exitcode.RecordInvalid; missing settings and a token
// GitLab refuses (401, 403) are exitcode.Usage; any other API failure is exitcode.Failed.
// No error, log line or note ever contains the token.
package gitlab

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/version"
)

// The environment variables Settings are read from.
const (
	EnvToken    = "KILN_GITLAB_TOKEN" // a personal, project or group access token (PRIVATE-TOKEN)
	EnvJobToken = "CI_JOB_TOKEN"      // the job's own token (JOB-TOKEN), used when EnvToken is unset
	EnvAPIURL   = "CI_API_V4_URL"     // e.g. https://gitlab.example.com/api/v4
	EnvProject  = "CI_PROJECT_ID"     // the numeric project id
	EnvCommit   = "CI_COMMIT_SHA"     // the commit the promote pipeline runs for
)

// requestTimeout bounds one API request, so that a hung server cannot hold a pipeline.
const requestTimeout = 2 * time.Minute

var (
	projectRE = regexp.MustCompile(`^[0-9]+$`)
	commitRE  = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
)

// Settings say which GitLab, project and token the Client talks to.
type Settings struct {
	APIURL   string // the API's base URL, ending in /api/v4
	Project  string // the numeric project id
	Token    string // never logged
	JobToken bool   // Token is a CI job token (JOB-TOKEN header) rather than an access token
	// HTTPClient sends the requests; nil means a client with a per-request timeout.
	HTTPClient *http.Client
}

// SettingsFromEnv reads Settings from GitLab CI's predefined variables and
// KILN_GITLAB_TOKEN, which wins over CI_JOB_TOKEN. A missing or malformed value is an
// exitcode.Usage error naming the variable.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{APIURL: getenv(EnvAPIURL), Project: getenv(EnvProject), Token: getenv(EnvToken)}
	if s.Token == "" {
		s.Token, s.JobToken = getenv(EnvJobToken), true
	}
	switch u, err := url.Parse(s.APIURL); {
	case s.APIURL == "":
		return s, exitcode.New(exitcode.Usage, "GitLab mode: %s is not set (it is in every GitLab CI job)", EnvAPIURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return s, exitcode.New(exitcode.Usage, "GitLab mode: %s %q is not an http or https URL", EnvAPIURL, s.APIURL)
	case !projectRE.MatchString(s.Project):
		return s, exitcode.New(exitcode.Usage, "GitLab mode: %s %q is not a numeric project id", EnvProject, s.Project)
	case s.Token == "":
		return s, exitcode.New(exitcode.Usage, "GitLab mode: no token: set %s (read_api; api to post the note) or run in a GitLab CI job (%s)", EnvToken, EnvJobToken)
	}
	return s, nil
}

// CommitFromEnv returns CI_COMMIT_SHA, checked to be a full commit SHA (exitcode.Usage).
func CommitFromEnv(getenv func(string) string) (string, error) {
	c := getenv(EnvCommit)
	if !commitRE.MatchString(c) {
		return "", exitcode.New(exitcode.Usage, "GitLab mode: %s %q is not a full commit SHA", EnvCommit, c)
	}
	return c, nil
}

// Client talks to one GitLab project.
type Client struct {
	api      *gl.Client
	project  string
	jobToken bool
}

// New returns a Client for s.
func New(s Settings) (*Client, error) {
	hc := s.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: requestTimeout}
	}
	opts := []gl.ClientOptionFunc{
		gl.WithBaseURL(s.APIURL),
		gl.WithHTTPClient(hc),
		gl.WithUserAgent("kiln/" + version.Version),
		gl.WithCustomRetryMax(3),
		gl.WithURLWarningLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	}
	var api *gl.Client
	var err error
	if s.JobToken {
		api, err = gl.NewJobClient(s.Token, opts...)
	} else {
		api, err = gl.NewClient(s.Token, opts...)
	}
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, "GitLab client for %s: %w", s.APIURL, err)
	}
	return &Client{api: api, project: s.Project, jobToken: s.JobToken}, nil
}

// APIError is a request GitLab answered with an error status, or that did not reach it.
type APIError struct {
	Op     string // what kiln asked, e.g. "list the pipelines of commit 0123abcd"
	Status int    // the HTTP status, 0 when there was no answer
	Err    error
}

func (e *APIError) Error() string { return "GitLab: " + e.Op + ": " + e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

// IsDenied reports whether GitLab refused err's request to the token (401 or 403), as it
// refuses most endpoints to a CI job token.
func IsDenied(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

// IsNotFound reports whether GitLab answered err's request with 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// fail wraps a client-go error with the operation and an exit code: 401 and 403 are
// exitcode.Usage with a hint about the token, anything else exitcode.Failed.
func (c *Client) fail(op string, resp *gl.Response, err error) error {
	e := &APIError{Op: op, Err: err}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("%w (%s)", e, c.tokenHint()))
	}
	return exitcode.Wrap(exitcode.Failed, e)
}

// tokenHint says what to do when GitLab refuses the token.
func (c *Client) tokenHint() string {
	if c.jobToken {
		return "GitLab refuses most API endpoints to " + EnvJobToken + ": set " + EnvToken +
			" to a project access token with the read_api scope (api to post the merge request note)"
	}
	return EnvToken + " is refused: it needs the read_api scope on the project (api to post the merge request note)"
}

// Package github is kiln's side of the GitHub REST API, through google/go-github: from a
// commit on the promote.to branch it finds the merged pull request that made it (merge
// commit, squash, rebase or fast-forward), the newest successful push run of the calling
// workflow on promote.from for that pull request's head commit, that run's test job, and the
// image record in the run's artifact (downloaded and unzipped in memory); it verifies the
// record and comments the promotion on the pull request, once.
//
// Errors carry exit codes (internal/exitcode): a refused gate (no merged pull request, a run
// or test job that did not succeed, a record for another commit or with failed tests) is
// exitcode.PromotionRefused; a missing or invalid record (no test job, no artifact, an
// artifact without the record or one that does not decode) is exitcode.RecordInvalid;
// missing settings and a token GitHub refuses (401, 403) are exitcode.Usage; any other API
// failure is exitcode.Failed. No error, log line or comment ever contains the token, and the
// token never leaves for the artifact storage GitHub redirects downloads to.
package github

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	gh "github.com/google/go-github/v76/github"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/version"
)

// The environment variables Settings and queries are read from (GitHub Actions sets all but
// the tokens; a workflow hands GITHUB_TOKEN to the step as env).
const (
	EnvToken       = "KILN_GITHUB_TOKEN"   // a token of its own (a GitHub App's or a fine-grained one)
	EnvJobToken    = "GITHUB_TOKEN"        // the job's token, used when EnvToken is unset
	EnvAPIURL      = "GITHUB_API_URL"      // e.g. https://api.github.com
	EnvRepository  = "GITHUB_REPOSITORY"   // owner/name
	EnvCommit      = "GITHUB_SHA"          // the commit the promote run runs for
	EnvWorkflowRef = "GITHUB_WORKFLOW_REF" // owner/name/.github/workflows/file.yml@ref
)

// DefaultAPIURL is GitHub.com's API, used when GITHUB_API_URL is unset.
const DefaultAPIURL = "https://api.github.com"

// requestTimeout bounds one API request or download, so that a hung server cannot hold a
// run.
const requestTimeout = 2 * time.Minute

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	commitRE = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
)

// Settings say which GitHub, repository and token the Client talks to.
type Settings struct {
	APIURL      string // the API's base URL: https://api.github.com, https://HOST/api/v3
	Owner, Repo string
	Token       string // never logged
	JobToken    bool   // Token is the job's GITHUB_TOKEN rather than KILN_GITHUB_TOKEN
	// HTTPClient sends the API requests; nil means a client with a per-request timeout.
	HTTPClient *http.Client
	// BlobClient downloads artifacts from where GitHub redirects to, without the token;
	// nil means a client with a per-request timeout.
	BlobClient *http.Client
}

// SettingsFromEnv reads Settings from GitHub Actions' variables and KILN_GITHUB_TOKEN,
// which wins over GITHUB_TOKEN. A missing or malformed value is an exitcode.Usage error
// naming the variable.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{APIURL: getenv(EnvAPIURL), Token: getenv(EnvToken)}
	if s.APIURL == "" {
		s.APIURL = DefaultAPIURL
	}
	if s.Token == "" {
		s.Token, s.JobToken = getenv(EnvJobToken), true
	}
	repo := getenv(EnvRepository)
	s.Owner, s.Repo, _ = strings.Cut(repo, "/")
	switch u, err := url.Parse(s.APIURL); {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return s, exitcode.New(exitcode.Usage, "GitHub mode: %s %q is not an http or https URL", EnvAPIURL, s.APIURL)
	case !nameRE.MatchString(s.Owner) || !nameRE.MatchString(s.Repo):
		return s, exitcode.New(exitcode.Usage, "GitHub mode: %s %q is not owner/name (it is set in every GitHub Actions job)", EnvRepository, repo)
	case s.Token == "":
		return s, exitcode.New(exitcode.Usage, "GitHub mode: no token: give the step %s: ${{ github.token }} in env (or set %s)", EnvJobToken, EnvToken)
	}
	return s, nil
}

// CommitFromEnv returns GITHUB_SHA, checked to be a full commit SHA (exitcode.Usage).
func CommitFromEnv(getenv func(string) string) (string, error) {
	c := getenv(EnvCommit)
	if !commitRE.MatchString(c) {
		return "", exitcode.New(exitcode.Usage, "GitHub mode: %s %q is not a full commit SHA", EnvCommit, c)
	}
	return c, nil
}

// WorkflowFromEnv returns the path of the workflow file the run belongs to
// (".github/workflows/kiln.yml"), from GITHUB_WORKFLOW_REF: inside a reusable workflow, that
// is the calling workflow, the one whose push runs tested the image.
func WorkflowFromEnv(getenv func(string) string) (string, error) {
	ref, repo := getenv(EnvWorkflowRef), getenv(EnvRepository)
	p, ok := strings.CutPrefix(ref, repo+"/")
	p, _, _ = strings.Cut(p, "@")
	if !ok || repo == "" || !strings.HasPrefix(p, ".github/workflows/") || strings.Contains(p, "..") {
		return "", exitcode.New(exitcode.Usage, "GitHub mode: %s %q is not %s/.github/workflows/FILE@REF", EnvWorkflowRef, ref, repo)
	}
	return p, nil
}

// Client talks to one GitHub repository.
type Client struct {
	api         *gh.Client
	blob        *http.Client
	owner, repo string
	jobToken    bool
}

// New returns a Client for s.
func New(s Settings) (*Client, error) {
	hc, blob := s.HTTPClient, s.BlobClient
	if hc == nil {
		hc = &http.Client{Timeout: requestTimeout}
	}
	if blob == nil {
		blob = &http.Client{Timeout: requestTimeout}
	}
	base, err := url.Parse(strings.TrimSuffix(s.APIURL, "/") + "/")
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, "GitHub client for %s: %w", s.APIURL, err)
	}
	api := gh.NewClient(hc).WithAuthToken(s.Token)
	api.BaseURL = base
	api.UserAgent = "kiln/" + version.Version
	return &Client{api: api, blob: blob, owner: s.Owner, repo: s.Repo, jobToken: s.JobToken}, nil
}

// APIError is a request GitHub answered with an error status, or that did not reach it.
type APIError struct {
	Op     string // what kiln asked, e.g. "list the pull requests of commit 0123abcd"
	Status int    // the HTTP status, 0 when there was no answer
	Err    error
}

func (e *APIError) Error() string { return "GitHub: " + e.Op + ": " + e.Err.Error() }
func (e *APIError) Unwrap() error { return e.Err }

// IsDenied reports whether GitHub refused err's request to the token (401 or 403, not a
// rate limit), as it refuses a GITHUB_TOKEN without the permission the request needs.
func IsDenied(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) && !rateLimited(e.Err)
}

// IsNotFound reports whether GitHub answered err's request with 404 or 410 (gone).
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

func rateLimited(err error) bool {
	var rl *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &abuse)
}

// fail wraps a go-github error with the operation and an exit code: 401 and 403 (other than
// a rate limit) are exitcode.Usage with a hint about the token, anything else
// exitcode.Failed.
func (c *Client) fail(op string, resp *gh.Response, err error) error {
	e := &APIError{Op: op, Err: err}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	if IsDenied(e) {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("%w (%s)", e, c.tokenHint()))
	}
	return exitcode.Wrap(exitcode.Failed, e)
}

// tokenHint says what to do when GitHub refuses the token.
func (c *Client) tokenHint() string {
	if c.jobToken {
		return "the job's " + EnvJobToken + " needs permissions actions: read, contents: read and pull-requests: read " +
			"(write to comment); set them on the job, and on the calling workflow for a reusable one"
	}
	return EnvToken + " is refused: it needs read access to the repository's actions, contents and pull requests " +
		"(write to pull requests to comment)"
}

// short abbreviates a commit SHA for messages.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

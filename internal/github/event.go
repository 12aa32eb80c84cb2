package github

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// The variables of a pull_request run.
const (
	EnvEventName = "GITHUB_EVENT_NAME" // pull_request
	EnvEventPath = "GITHUB_EVENT_PATH" // the webhook payload, as JSON
	EnvRef       = "GITHUB_REF"        // refs/pull/N/merge
)

// maxEvent bounds the event payload kiln reads.
const maxEvent = 16 << 20

// PullRequestEvent is what a pull_request run says about its pull request.
type PullRequestEvent struct {
	Number int
	// HeadSHA is the pull request's head when the run started ("" when the payload does not
	// say): the commit this run plans for, even if the branch moved on since.
	HeadSHA string
}

// PullRequestFromEnv returns the pull request of a pull_request run: from the event payload
// (GITHUB_EVENT_PATH, read with readFile), else from GITHUB_REF (refs/pull/N/merge).
// Without a number it is an exitcode.Usage error.
func PullRequestFromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (PullRequestEvent, error) {
	var ev PullRequestEvent
	if p := getenv(EnvEventPath); p != "" {
		if data, err := readFile(p); err == nil && len(data) <= maxEvent {
			var payload struct {
				PullRequest struct {
					Number int `json:"number"`
					Head   struct {
						SHA string `json:"sha"`
					} `json:"head"`
				} `json:"pull_request"`
			}
			if json.Unmarshal(data, &payload) == nil {
				ev.Number, ev.HeadSHA = payload.PullRequest.Number, payload.PullRequest.Head.SHA
			}
		}
	}
	if ev.Number <= 0 {
		ref := getenv(EnvRef)
		n, ok := strings.CutPrefix(ref, "refs/pull/")
		n, ok2 := strings.CutSuffix(n, "/merge")
		if num, err := strconv.Atoi(n); ok && ok2 && err == nil && num > 0 {
			ev.Number = num
		}
	}
	if ev.Number <= 0 {
		return ev, exitcode.New(exitcode.Usage, "GitHub mode: a pull_request run without a pull request number (%s, or %s refs/pull/N/merge)",
			EnvEventPath, EnvRef)
	}
	if ev.HeadSHA != "" && !commitRE.MatchString(ev.HeadSHA) {
		return ev, exitcode.New(exitcode.Usage, "GitHub mode: the event's pull_request.head.sha %q is not a full commit SHA", ev.HeadSHA)
	}
	return ev, nil
}

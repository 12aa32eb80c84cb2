package github

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/github/githubtest"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSettingsFromEnv: KILN_GITHUB_TOKEN wins over GITHUB_TOKEN, the API defaults to
// GitHub.com's, and a missing or malformed setting is exit 2 naming the variable.
func TestSettingsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Settings
		msg  string
	}{
		{name: "job token, default API", env: map[string]string{"GITHUB_REPOSITORY": "acme/web", "GITHUB_TOKEN": "t1"},
			want: Settings{APIURL: DefaultAPIURL, Owner: "acme", Repo: "web", Token: "t1", JobToken: true}},
		{name: "own token wins", env: map[string]string{"GITHUB_REPOSITORY": "acme/web", "GITHUB_TOKEN": "t1", "KILN_GITHUB_TOKEN": "t2",
			"GITHUB_API_URL": "https://ghe.example/api/v3"},
			want: Settings{APIURL: "https://ghe.example/api/v3", Owner: "acme", Repo: "web", Token: "t2"}},
		{name: "no token", env: map[string]string{"GITHUB_REPOSITORY": "acme/web"}, msg: "GitHub mode: no token"},
		{name: "no repository", env: map[string]string{"GITHUB_TOKEN": "t1"}, msg: `GITHUB_REPOSITORY "" is not owner/name`},
		{name: "bad repository", env: map[string]string{"GITHUB_TOKEN": "t1", "GITHUB_REPOSITORY": "acme/web/x"}, msg: "is not owner/name"},
		{name: "bad API URL", env: map[string]string{"GITHUB_TOKEN": "t1", "GITHUB_REPOSITORY": "acme/web", "GITHUB_API_URL": "ftp://x"},
			msg: `GITHUB_API_URL "ftp://x" is not an http or https URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SettingsFromEnv(getenv(tc.env))
			if tc.msg != "" {
				if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("want exit 2 with %q, got %v", tc.msg, err)
				}
				return
			}
			if err != nil || s != tc.want {
				t.Fatalf("got %+v, %v; want %+v", s, err, tc.want)
			}
		})
	}
}

// TestWorkflowFromEnv: the workflow file comes from GITHUB_WORKFLOW_REF of this repository.
func TestWorkflowFromEnv(t *testing.T) {
	for ref, want := range map[string]string{
		"acme/web/.github/workflows/kiln.yml@refs/heads/stable": ".github/workflows/kiln.yml",
		"acme/web/.github/workflows/ci.yaml@refs/pull/3/merge":  ".github/workflows/ci.yaml",
		"other/web/.github/workflows/kiln.yml@refs/heads/x":     "",
		"acme/web/kiln.yml@refs/heads/stable":                   "",
		"acme/web/.github/workflows/../../x.yml@main":           "",
		"": "",
	} {
		got, err := WorkflowFromEnv(getenv(map[string]string{"GITHUB_REPOSITORY": "acme/web", "GITHUB_WORKFLOW_REF": ref}))
		if got != want || (want == "") != (exitcode.Of(err) == exitcode.Usage) {
			t.Errorf("%q: got %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := CommitFromEnv(getenv(map[string]string{"GITHUB_SHA": "abc"})); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("short GITHUB_SHA: %v", err)
	}
}

// TestPullRequestFromEnv: the number and head come from the event payload, else the number
// from GITHUB_REF.
func TestPullRequestFromEnv(t *testing.T) {
	files := map[string]string{
		"event.json": `{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"sha":"` + head + `","ref":"master"}}}`,
		"push.json":  `{"ref":"refs/heads/master"}`,
		"bad.json":   `{"pull_request":{"number":7,"head":{"sha":"HEAD"}}}`,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	for _, tc := range []struct {
		env  map[string]string
		want PullRequestEvent
		ok   bool
	}{
		{env: map[string]string{"GITHUB_EVENT_PATH": "event.json"}, want: PullRequestEvent{Number: 7, HeadSHA: head}, ok: true},
		{env: map[string]string{"GITHUB_EVENT_PATH": "push.json", "GITHUB_REF": "refs/pull/12/merge"}, want: PullRequestEvent{Number: 12}, ok: true},
		{env: map[string]string{"GITHUB_EVENT_PATH": "missing.json", "GITHUB_REF": "refs/pull/12/merge"}, want: PullRequestEvent{Number: 12}, ok: true},
		{env: map[string]string{"GITHUB_REF": "refs/heads/master"}},
		{env: map[string]string{"GITHUB_EVENT_PATH": "bad.json"}},
	} {
		got, err := PullRequestFromEnv(getenv(tc.env), read)
		if tc.ok && (err != nil || got != tc.want) || !tc.ok && exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%v: got %+v, %v", tc.env, got, err)
		}
	}
}

// TestOpenPullRequest: a pull request run plans only for a pull request from promote.from
// to promote.to of this repository.
func TestOpenPullRequest(t *testing.T) {
	w := happy(t)
	w.relabel(func(pr *githubtest.PullRequest) { pr.State, pr.Merged = "open", false })
	c := w.client(t)
	pr, err := c.OpenPullRequest(context.Background(), w.number, "master", "stable")
	if err != nil || pr.HeadSHA != head || pr.How != "" {
		t.Fatalf("%+v, %v", pr, err)
	}
	w.relabel(func(pr *githubtest.PullRequest) { pr.Fork = "mallory/web" })
	_, err = c.OpenPullRequest(context.Background(), w.number, "master", "stable")
	if exitcode.Of(err) != exitcode.PromotionRefused || !strings.Contains(err.Error(), "#1 master -> stable open from the fork mallory/web") {
		t.Fatalf("fork: %v", err)
	}
	_, err = c.OpenPullRequest(context.Background(), 99, "master", "stable")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !IsNotFound(err) || exitcode.Of(err) != exitcode.Failed {
		t.Fatalf("unknown pull request: %v", err)
	}
}

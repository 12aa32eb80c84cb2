package promote

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"os"
	"strings"
	"unicode"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/github"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// githubHelp ends --help: when GitHub mode is on and what it does (docs/github.md has more).
const githubHelp = `GitHub mode (--source github; auto in GitHub Actions on a push to promote.to, or in a
pull request from promote.from to promote.to, without --record): from GITHUB_SHA, the merged
pull request that made it (merge, squash, rebase or fast-forward), the newest successful push
run of this workflow on promote.from for its head, that run's test job and the record in its
artifact; promoted as in GitLab mode, commented once on the pull request. A pull request run
only plans. Same refusals and exit codes as GitLab mode; a token GitHub refuses the comment:
a warning. Details: docs/github.md.`

// githubFlags are GitHub mode's flags.
var githubFlags = []step.Flag{
	{Name: "github-test-job", Env: "KILN_GITHUB_TEST_JOB", Default: "dev", More: true, Help: "GitHub mode: the job that must have passed (NAME, or CALLER / NAME in a reusable workflow)"},
	{Name: "github-artifact", Env: "KILN_GITHUB_ARTIFACT", Default: "kiln-record", More: true, Help: "GitHub mode: the run's artifact holding the record"},
	{Name: "github-record", Env: "KILN_GITHUB_RECORD", Default: "kiln-image.json", More: true, Help: "GitHub mode: the record's path in that artifact"},
}

// githubEnvVars are listed in docs/cli.md.
var githubEnvVars = []string{
	"GITHUB_ACTIONS, GITHUB_EVENT_NAME, GITHUB_REF_NAME, GITHUB_HEAD_REF, GITHUB_BASE_REF  GitHub mode's auto selection",
	"GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_WORKFLOW_REF, GITHUB_EVENT_PATH  GitHub mode: where to look",
	"GITHUB_TOKEN  GitHub mode: the job's token (actions: read, contents: read, pull-requests: write), never logged",
	"KILN_GITHUB_TOKEN  GitHub mode: a token to use instead of GITHUB_TOKEN, never logged",
}

// githubAuto reports whether --source auto takes the record from the GitHub API: in a
// GitHub Actions push run on promote.to, or a pull request run from promote.from to
// promote.to.
func githubAuto(r *step.Run) bool {
	get := r.Env.Getenv
	return get("GITHUB_ACTIONS") == "true" && (pullRequestRun(r) ||
		get("GITHUB_EVENT_NAME") == "push" && get("GITHUB_REF_NAME") == r.Config.Promote.To && get("GITHUB_REF_TYPE") != "tag")
}

// pullRequestRun reports whether this is the run of a pull request from promote.from to
// promote.to, which may only plan the promotion.
func pullRequestRun(r *step.Run) bool {
	get, p := r.Env.Getenv, r.Config.Promote
	return get(github.EnvEventName) == "pull_request" && get("GITHUB_HEAD_REF") == p.From && get("GITHUB_BASE_REF") == p.To
}

// runGitHub finds the record through the GitHub API, promotes it, and comments the pull
// request.
func runGitHub(ctx context.Context, r *step.Run) error {
	q, err := githubQuery(r)
	if err != nil {
		return err
	}
	s, err := github.SettingsFromEnv(r.Env.Getenv)
	if err != nil {
		return err
	}
	c, err := github.New(s)
	if err != nil {
		return err
	}
	if r.Env.Getenv(github.EnvEventName) == "pull_request" {
		return planPullRequest(ctx, r, c, q)
	}
	if q.Commit, err = github.CommitFromEnv(r.Env.Getenv); err != nil {
		return err
	}
	r.Logf("GitHub mode: finding the %s -> %s pull request of commit %s", q.From, q.To, q.Commit)
	found, err := c.FindRecord(ctx, q)
	if err != nil {
		return err
	}
	pr := found.PullRequest
	r.Logf("pull request #%d (merged: %s), %s run %d, job %q (%d), artifact %s: image %s",
		pr.Number, pr.How, found.Run.Branch, found.Run.ID, found.Job.Name, found.Job.ID, found.Artifact.Name, found.Record.Image.ID)
	rec := resume(r, found.Record)
	dryRun := r.Opts.Bool("dry-run")
	if !dryRun {
		if err := record.Write(r.RecordPath(), rec); err != nil {
			return err
		}
	}
	done, err := promote(ctx, r, rec, pr.HTMLURL, dryRun, githubSource(r, c, pr, q.Workflow))
	if err != nil || !done {
		return err
	}
	found.Record = rec
	return comment(ctx, r, c, found)
}

// planPullRequest plans the promotion of the image the pull request's head was tested
// with: in a pull request run kiln-promote only plans, writes no record and comments
// nothing.
func planPullRequest(ctx context.Context, r *step.Run, c *github.Client, q github.Query) error {
	ev, err := github.PullRequestFromEnv(r.Env.Getenv, os.ReadFile)
	if err != nil {
		return err
	}
	pr, err := c.OpenPullRequest(ctx, ev.Number, q.From, q.To)
	if err != nil {
		return err
	}
	if ev.HeadSHA != "" {
		pr.HeadSHA = ev.HeadSHA // the head this run is for, even if the branch moved on
	}
	r.Logf("pull request run of #%d: planning the promotion of the image its head %s was tested with", pr.Number, pr.HeadSHA)
	found, err := c.FindTestedRecord(ctx, q, pr)
	if err != nil {
		return err
	}
	_, err = promote(ctx, r, found.Record, pr.HTMLURL, true, nil)
	return err
}

// githubQuery gathers what FindRecord needs from the CI variables, flags and kiln.yaml
// (the commit is added for a push run).
func githubQuery(r *step.Run) (github.Query, error) {
	p := r.Config.Promote
	q := github.Query{From: p.From, To: p.To, TestJob: r.Opts.Get("github-test-job"),
		Artifact: r.Opts.Get("github-artifact"), RecordPath: r.Opts.Get("github-record")}
	if strings.TrimSpace(q.TestJob) == "" || strings.IndexFunc(q.TestJob, unicode.IsControl) >= 0 {
		return q, step.UsageError("%s: want a job name", r.Opts.Given("github-test-job"))
	}
	// upload-artifact refuses these characters in a name.
	if strings.TrimSpace(q.Artifact) == "" || strings.ContainsAny(q.Artifact, "\":<>|*?\\/\r\n") {
		return q, step.UsageError("%s: want an artifact name without \" : < > | * ? \\ / or line breaks", r.Opts.Given("github-artifact"))
	}
	if problem := config.ArtifactPathProblem(q.RecordPath); problem != "" {
		return q, step.UsageError("%s %s", r.Opts.Given("github-record"), problem)
	}
	w, err := github.WorkflowFromEnv(r.Env.Getenv)
	q.Workflow = w
	return q, err
}

// comment posts the promotion comment on the pull request unless it is there already. A
// token GitHub does not let comment is a warning; another failure is an error that says
// the promotion itself is done.
func comment(ctx context.Context, r *step.Run, c *github.Client, found *github.Found) error {
	env, n := deployment.PromoteEnvironment(r), found.PullRequest.Number
	body := github.CommentBody(found, env, r.CI.Info().PipelineURL)
	posted, err := c.CommentOnce(ctx, n, promonote.Marker(env, found.Record.Image.ID), body)
	switch {
	case github.IsDenied(err):
		r.Logf("warning: promoted, but pull request #%d was not commented: %v", n, err)
	case err != nil:
		return exitcode.Wrap(exitcode.Failed, fmt.Errorf("promoted, but commenting pull request #%d failed "+
			"(run the job again to comment it; the promotion will not repeat): %w", n, err))
	case posted:
		fmt.Fprintf(r.Out, "commented the promotion on pull request #%d\n", n)
	default:
		r.Logf("pull request #%d already has a comment on this promotion", n)
	}
	return nil
}

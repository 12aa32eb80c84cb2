package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v76/github"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Plan is a sealed plan downloaded from the pull request run that planned the promotion.
type Plan struct {
	Run      *Run
	Artifact *Artifact
	Data     []byte
}

// NoPlan says why a pull request has no plan to download.
type NoPlan struct{ Reason string }

func (e *NoPlan) Error() string { return e.Reason }

// ReviewedPlan downloads the plan that the pull request run of pr saved: the newest
// pull_request run of the workflow file workflow for pr's head (a run GitHub ties to other
// pull requests only is left out), the file at path in its artifact called name, at most
// max bytes. Without one it returns a *NoPlan saying why; a request GitHub fails is an error
// as elsewhere in this package.
func (c *Client) ReviewedPlan(ctx context.Context, pr *PullRequest, workflow, name, path string, max uint64) (*Plan, error) {
	run, err := c.pullRequestRun(ctx, pr, workflow)
	if err != nil || run == nil {
		return nil, err
	}
	a, expired, err := c.findArtifact(ctx, run, name)
	if err != nil {
		return nil, err
	}
	if a == nil {
		why := "did not upload it (no plan key in that run, or its plan-prod job did not succeed)"
		if expired {
			why = "kept it, but it expired (retention-days)"
		}
		return nil, &NoPlan{Reason: fmt.Sprintf("pull request run %d has no artifact %s: it %s", run.ID, name, why)}
	}
	data, err := c.artifactFile(ctx, a, path, max, "a sealed plan", "--github-plan-artifact")
	if exitcode.Of(err) == exitcode.RecordInvalid {
		return nil, &NoPlan{Reason: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return &Plan{Run: run, Artifact: a, Data: data}, nil
}

// pullRequestRun returns the newest pull_request run of workflow for pr's head; without one
// a *NoPlan error.
func (c *Client) pullRequestRun(ctx context.Context, pr *PullRequest, workflow string) (*Run, error) {
	opt := &gh.ListWorkflowRunsOptions{Branch: pr.Head, Event: "pull_request", HeadSHA: pr.HeadSHA, ListOptions: gh.ListOptions{PerPage: 100}}
	list, resp, err := c.api.Actions.ListRepositoryWorkflowRuns(ctx, c.owner, c.repo, opt)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the pull request runs of commit %s", short(pr.HeadSHA)), resp, err)
	}
	runs := list.WorkflowRuns
	sort.Slice(runs, func(i, j int) bool { return runs[i].GetID() > runs[j].GetID() })
	for _, r := range runs {
		path, _, _ := strings.Cut(r.GetPath(), "@")
		if r.GetHeadSHA() != pr.HeadSHA || r.GetHeadBranch() != pr.Head || r.GetEvent() != "pull_request" || path != workflow || !runOf(r, pr.Number) {
			continue
		}
		return &Run{ID: r.GetID(), Number: r.GetRunNumber(), Path: path, Branch: r.GetHeadBranch(), HeadSHA: r.GetHeadSHA(),
			Conclusion: r.GetConclusion(), HTMLURL: r.GetHTMLURL()}, nil
	}
	return nil, &NoPlan{Reason: fmt.Sprintf("pull request #%d has no pull_request run of %s for its head %s", pr.Number, workflow, short(pr.HeadSHA))}
}

// runOf reports whether a run may be of pull request n: GitHub lists the pull requests of
// a run of this repository's branches; an empty list leaves the question open.
func runOf(r *gh.WorkflowRun, n int) bool {
	if len(r.PullRequests) == 0 {
		return true
	}
	for _, p := range r.PullRequests {
		if p.GetNumber() == n {
			return true
		}
	}
	return false
}

package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v76/github"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Run is a workflow run.
type Run struct {
	ID         int64
	Number     int
	Path       string // the workflow file, .github/workflows/kiln.yml
	Branch     string
	HeadSHA    string
	Conclusion string
	HTMLURL    string
}

// SuccessfulRun returns the newest successful push run of the workflow file workflow on
// branch for commit sha, among the newest 100 push runs of that commit on that branch.
// Without one the promotion is refused (exitcode.PromotionRefused), naming the runs that
// did not succeed.
func (c *Client) SuccessfulRun(ctx context.Context, sha, branch, workflow string) (*Run, error) {
	opt := &gh.ListWorkflowRunsOptions{Branch: branch, Event: "push", HeadSHA: sha, ListOptions: gh.ListOptions{PerPage: 100}}
	list, resp, err := c.api.Actions.ListRepositoryWorkflowRuns(ctx, c.owner, c.repo, opt)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the %s runs of commit %s", branch, short(sha)), resp, err)
	}
	runs := list.WorkflowRuns
	sort.Slice(runs, func(i, j int) bool { return runs[i].GetID() > runs[j].GetID() })
	var others []string
	for _, r := range runs {
		// The API filters already; never trust a run of another commit, branch or workflow.
		path, _, _ := strings.Cut(r.GetPath(), "@")
		if r.GetHeadSHA() != sha || r.GetHeadBranch() != branch || r.GetEvent() != "push" || path != workflow {
			continue
		}
		if r.GetStatus() == "completed" && r.GetConclusion() == "success" {
			return &Run{ID: r.GetID(), Number: r.GetRunNumber(), Path: path, Branch: branch, HeadSHA: sha,
				Conclusion: r.GetConclusion(), HTMLURL: r.GetHTMLURL()}, nil
		}
		state := r.GetConclusion()
		if r.GetStatus() != "completed" || state == "" {
			state = r.GetStatus()
		}
		others = append(others, fmt.Sprintf("run %d %s", r.GetID(), state))
	}
	if len(others) == 0 {
		return nil, exitcode.New(exitcode.PromotionRefused,
			"promotion refused: commit %s has no push run of %s on %s", short(sha), workflow, branch)
	}
	return nil, exitcode.New(exitcode.PromotionRefused,
		"promotion refused: commit %s has no successful push run of %s on %s (%s)", short(sha), workflow, branch, strings.Join(others, ", "))
}

// Job is a job of a workflow run.
type Job struct {
	ID         int64
	Name       string // as GitHub lists it: "dev", or "kiln / dev" inside a reusable workflow
	Conclusion string
	HTMLURL    string
}

// TestJob returns the job called name in the run's latest attempt: a job of that name, or,
// for a job of a reusable workflow, one whose name ends in " / " + name. A run without it
// has no record (exitcode.RecordInvalid); a job that did not succeed refuses the promotion
// (exitcode.PromotionRefused).
func (c *Client) TestJob(ctx context.Context, run *Run, name string) (*Job, error) {
	opt := &gh.ListWorkflowJobsOptions{Filter: "latest"}
	jobs, resp, err := collect(func(o gh.ListOptions) ([]*gh.WorkflowJob, *gh.Response, error) {
		opt.ListOptions = o
		js, resp, err := c.api.Actions.ListWorkflowJobs(ctx, c.owner, c.repo, run.ID, opt)
		if err != nil {
			return nil, resp, err
		}
		return js.Jobs, resp, nil
	})
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the jobs of run %d", run.ID), resp, err)
	}
	var matched []*gh.WorkflowJob
	for _, j := range jobs {
		if n := j.GetName(); n == name || strings.HasSuffix(n, " / "+name) {
			matched = append(matched, j)
		}
	}
	if len(matched) == 0 {
		return nil, exitcode.New(exitcode.RecordInvalid,
			"run %d has no job %q to take the record from (set --github-test-job)", run.ID, name)
	}
	// Every job of that name must have passed: a matrix or a second call of the reusable
	// workflow may have more than one.
	sort.Slice(matched, func(i, j int) bool { return matched[i].GetID() < matched[j].GetID() })
	for _, j := range matched {
		if j.GetStatus() != "completed" || j.GetConclusion() != "success" {
			state := j.GetConclusion()
			if state == "" {
				state = j.GetStatus()
			}
			return nil, exitcode.New(exitcode.PromotionRefused,
				"promotion refused: job %q (%d) of run %d is %s", j.GetName(), j.GetID(), run.ID, state)
		}
	}
	j := matched[len(matched)-1]
	return &Job{ID: j.GetID(), Name: j.GetName(), Conclusion: j.GetConclusion(), HTMLURL: j.GetHTMLURL()}, nil
}

package gitlab

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// How a merged merge request's commit reached the target branch.
const (
	MergedByMergeCommit = "merge commit"
	MergedBySquash      = "squash commit"
	MergedByFastForward = "fast-forward"
)

// MergeRequest is a merged merge request, as promotion needs it.
type MergeRequest struct {
	IID          int64
	Title        string
	WebURL       string
	SourceBranch string
	TargetBranch string
	// SHA is the head commit of the source branch that was merged: the commit whose
	// pipeline tested the image.
	SHA string
	// How is how the merge made the commit: MergedByMergeCommit, MergedBySquash or
	// MergedByFastForward.
	How string
}

// MergedMergeRequest returns the merged merge request from branch from to branch to
// whose merge made commit: its merge commit, its squash commit, or (fast-forward) its
// head. Without one the promotion is refused (exitcode.PromotionRefused), naming the
// merge requests the commit belongs to.
func (c *Client) MergedMergeRequest(ctx context.Context, commit, from, to string) (*MergeRequest, error) {
	mrs, resp, err := collect(func(p gl.PaginationOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
		return c.api.Commits.ListMergeRequestsByCommit(c.project, commit, gl.WithContext(ctx), p)
	})
	if err != nil {
		return nil, c.fail("list the merge requests of commit "+short(commit), resp, err)
	}
	var found []*MergeRequest
	var seen []string
	for _, mr := range mrs {
		how := mergedHow(mr, commit)
		ok := mr.State == "merged" && mr.SourceBranch == from && mr.TargetBranch == to &&
			mr.SourceProjectID == mr.TargetProjectID && how != ""
		if !ok {
			seen = append(seen, fmt.Sprintf("!%d %s -> %s %s", mr.IID, mr.SourceBranch, mr.TargetBranch, mr.State))
			continue
		}
		found = append(found, &MergeRequest{IID: mr.IID, Title: mr.Title, WebURL: mr.WebURL,
			SourceBranch: mr.SourceBranch, TargetBranch: mr.TargetBranch, SHA: mr.SHA, How: how})
	}
	if len(found) == 0 {
		also := ""
		if len(seen) > 0 {
			also = " (it belongs to " + strings.Join(seen, ", ") + ")"
		}
		return nil, exitcode.New(exitcode.PromotionRefused,
			"promotion refused: commit %s is not the merge of a merged merge request from %s to %s%s",
			short(commit), from, to, also)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].IID > found[j].IID })
	return found[0], nil
}

// mergedHow says how mr made commit, or "" when it did not.
func mergedHow(mr *gl.BasicMergeRequest, commit string) string {
	switch commit {
	case "":
		return ""
	case mr.MergeCommitSHA:
		return MergedByMergeCommit
	case mr.SquashCommitSHA:
		return MergedBySquash
	case mr.SHA:
		return MergedByFastForward
	}
	return ""
}

// Pipeline is a CI pipeline.
type Pipeline struct {
	ID     int64
	SHA    string
	Ref    string
	Status string
	WebURL string
}

// SuccessfulPipeline returns the newest successful pipeline of commit sha on branch ref,
// among its newest 100. Without one the promotion is refused (exitcode.PromotionRefused),
// naming the pipelines that did not succeed.
func (c *Client) SuccessfulPipeline(ctx context.Context, sha, ref string) (*Pipeline, error) {
	opt := &gl.ListProjectPipelinesOptions{SHA: gl.Ptr(sha), Ref: gl.Ptr(ref),
		OrderBy: gl.Ptr("id"), Sort: gl.Ptr("desc"), ListOptions: gl.ListOptions{PerPage: 100}}
	ps, resp, err := c.api.Pipelines.ListProjectPipelines(c.project, opt, gl.WithContext(ctx))
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the %s pipelines of commit %s", ref, short(sha)), resp, err)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID > ps[j].ID })
	var others []string
	for _, p := range ps {
		if p.SHA != sha || p.Ref != ref {
			continue // the API filters already; never trust a pipeline of another commit
		}
		if p.Status == "success" {
			return &Pipeline{ID: p.ID, SHA: p.SHA, Ref: p.Ref, Status: p.Status, WebURL: p.WebURL}, nil
		}
		others = append(others, fmt.Sprintf("#%d %s", p.ID, p.Status))
	}
	if len(others) == 0 {
		return nil, exitcode.New(exitcode.PromotionRefused,
			"promotion refused: commit %s has no %s pipeline", short(sha), ref)
	}
	return nil, exitcode.New(exitcode.PromotionRefused,
		"promotion refused: commit %s has no successful %s pipeline (%s)", short(sha), ref, strings.Join(others, ", "))
}

// Job is a CI job.
type Job struct {
	ID     int64
	Name   string
	Status string
	WebURL string
}

// TestJob returns the job called name in the pipeline (its latest attempt). A pipeline
// without it has no record (exitcode.RecordInvalid); a job that did not succeed refuses
// the promotion (exitcode.PromotionRefused).
func (c *Client) TestJob(ctx context.Context, pipeline *Pipeline, name string) (*Job, error) {
	job, err := c.latestJob(ctx, pipeline, name)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, exitcode.New(exitcode.RecordInvalid,
			"pipeline #%d has no job %q to take the record from (set promote.gitlab.test_job)", pipeline.ID, name)
	}
	if job.Status != "success" {
		return nil, exitcode.New(exitcode.PromotionRefused,
			"promotion refused: job %q (#%d) of pipeline #%d is %s", name, job.ID, pipeline.ID, job.Status)
	}
	return job, nil
}

// latestJob returns the latest attempt of the job called name in the pipeline, nil when
// the pipeline has none.
func (c *Client) latestJob(ctx context.Context, pipeline *Pipeline, name string) (*Job, error) {
	opt := &gl.ListJobsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	jobs, resp, err := collect(func(p gl.PaginationOptionFunc) ([]*gl.Job, *gl.Response, error) {
		return c.api.Jobs.ListPipelineJobs(c.project, pipeline.ID, opt, gl.WithContext(ctx), p)
	})
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the jobs of pipeline #%d", pipeline.ID), resp, err)
	}
	var job *gl.Job
	for _, j := range jobs {
		if j.Name == name && (job == nil || j.ID > job.ID) {
			job = j
		}
	}
	if job == nil {
		return nil, nil
	}
	return &Job{ID: job.ID, Name: job.Name, Status: job.Status, WebURL: job.WebURL}, nil
}

// maxItems bounds a paged list, so that a server that always has a next page cannot keep
// kiln reading.
const maxItems = 5000

// collect reads every page of a list (up to maxItems entries) and returns the last
// response, whose status an error needs.
func collect[T any](f func(p gl.PaginationOptionFunc) ([]T, *gl.Response, error)) ([]T, *gl.Response, error) {
	var last *gl.Response
	items, err := gl.ScanAndCollectN(func(p gl.PaginationOptionFunc) ([]T, *gl.Response, error) {
		ts, resp, err := f(p)
		last = resp
		return ts, resp, err
	}, maxItems)
	return items, last, err
}

// short abbreviates a commit SHA for messages.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

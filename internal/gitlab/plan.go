package gitlab

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// maxPlanPipelines bounds how many of a merge request's newest pipelines kiln looks through
// for the plan job.
const maxPlanPipelines = 20

// Plan is a sealed plan downloaded from the merge request pipeline that planned the
// promotion.
type Plan struct {
	Pipeline *Pipeline
	Job      *Job
	Data     []byte
}

// NoPlan says why a merge request has no plan to download.
type NoPlan struct{ Reason string }

func (e *NoPlan) Error() string { return e.Reason }

// ReviewedPlan downloads the plan that the merge request pipeline of mr saved: from the
// newest of its merge request pipelines (ref refs/merge-requests/IID/head, /merge or
// /train) that has a job called job, that job's latest attempt, which must have succeeded,
// the file at path in its artifacts, at most max bytes. Without one it returns a *NoPlan
// saying why; a request GitLab fails is an error as elsewhere in this package.
func (c *Client) ReviewedPlan(ctx context.Context, mr *MergeRequest, job, path string, max int64) (*Plan, error) {
	ps, err := c.mergeRequestPipelines(ctx, mr)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, &NoPlan{Reason: fmt.Sprintf("merge request !%d has no merge request pipeline", mr.IID)}
	}
	for i, p := range ps {
		if i == maxPlanPipelines {
			break
		}
		j, err := c.latestJob(ctx, p, job)
		if err != nil {
			return nil, err
		}
		if j == nil {
			continue
		}
		if j.Status != "success" {
			return nil, &NoPlan{Reason: fmt.Sprintf("job %s (#%d) of merge request pipeline #%d is %s", j.Name, j.ID, p.ID, j.Status)}
		}
		data, err := c.artifactFile(ctx, j, path, max)
		if IsNotFound(err) {
			return nil, &NoPlan{Reason: fmt.Sprintf("job %s (#%d) of merge request pipeline #%d has no artifact %s "+
				"(no plan key in that pipeline, the artifact expired, or the job does not keep it)", j.Name, j.ID, p.ID, path)}
		}
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > max {
			return nil, &NoPlan{Reason: fmt.Sprintf("%s of job %s (#%d) is larger than %d bytes", path, j.Name, j.ID, max)}
		}
		return &Plan{Pipeline: p, Job: j, Data: data}, nil
	}
	return nil, &NoPlan{Reason: fmt.Sprintf("no merge request pipeline of !%d has a job %s", mr.IID, job)}
}

// mergeRequestPipelines lists the merge request pipelines of mr, newest first: those on
// its refs/merge-requests/IID/ refs (the list also holds branch pipelines of its commits).
func (c *Client) mergeRequestPipelines(ctx context.Context, mr *MergeRequest) ([]*Pipeline, error) {
	infos, resp, err := collect(func(p gl.PaginationOptionFunc) ([]*gl.PipelineInfo, *gl.Response, error) {
		return c.api.MergeRequests.ListMergeRequestPipelines(c.project, mr.IID, gl.WithContext(ctx), p)
	})
	if err != nil {
		return nil, c.fail(fmt.Sprintf("list the pipelines of merge request !%d", mr.IID), resp, err)
	}
	prefix := "refs/merge-requests/" + strconv.FormatInt(mr.IID, 10) + "/"
	var out []*Pipeline
	for _, p := range infos {
		if strings.HasPrefix(p.Ref, prefix) {
			out = append(out, &Pipeline{ID: p.ID, SHA: p.SHA, Ref: p.Ref, Status: p.Status, WebURL: p.WebURL})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

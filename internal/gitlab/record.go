package gitlab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
)

// Query says where a promotion's record is: the commit the promote pipeline runs for, the
// branches promotion goes from and to, and the job and artifact path holding the record.
type Query struct {
	Commit       string // the commit on To, CI_COMMIT_SHA
	From, To     string // promote.from and promote.to
	TestJob      string // promote.gitlab.test_job
	ArtifactPath string // promote.gitlab.artifact_path
}

// Found is a verified record and where it came from.
type Found struct {
	MergeRequest *MergeRequest
	Pipeline     *Pipeline
	Job          *Job
	Record       *record.Record
}

// FindRecord follows q from the commit to the record: the merged merge request, the
// newest successful pipeline of its head on q.From, the test job's artifact. It decodes
// the record strictly and verifies that it was baked from the merge request's head and
// that its tests passed for its exact image id.
func (c *Client) FindRecord(ctx context.Context, q Query) (*Found, error) {
	mr, err := c.MergedMergeRequest(ctx, q.Commit, q.From, q.To)
	if err != nil {
		return nil, err
	}
	return c.FindTestedRecord(ctx, q, mr)
}

// FindTestedRecord is FindRecord for a merge request already known (an open one, in its
// merge request pipeline): the newest successful q.From pipeline of its head commit, that
// pipeline's test job, and the record in its artifacts, decoded strictly and verified.
func (c *Client) FindTestedRecord(ctx context.Context, q Query, mr *MergeRequest) (*Found, error) {
	p, err := c.SuccessfulPipeline(ctx, mr.SHA, q.From)
	if err != nil {
		return nil, err
	}
	job, err := c.TestJob(ctx, p, q.TestJob)
	if err != nil {
		return nil, err
	}
	data, err := c.Artifact(ctx, job, q.ArtifactPath)
	if err != nil {
		return nil, err
	}
	rec, err := record.Decode(data, fmt.Sprintf("%s of job %q (#%d)", q.ArtifactPath, job.Name, job.ID))
	if err != nil {
		return nil, err
	}
	if err := Verify(rec, mr); err != nil {
		return nil, err
	}
	return &Found{MergeRequest: mr, Pipeline: p, Job: job, Record: rec}, nil
}

// Verify refuses (exitcode.PromotionRefused) a record that was not baked from the merge
// request's head commit, or whose tests did not pass for its exact image id.
func Verify(rec *record.Record, mr *MergeRequest) error {
	if rec.Source.Commit != mr.SHA {
		return exitcode.New(exitcode.PromotionRefused,
			"promotion refused: the record's image %s was baked from commit %s, not from %s, the head of merge request !%d",
			rec.Image.ID, short(rec.Source.Commit), short(mr.SHA), mr.IID)
	}
	if err := rec.TestedOK(); err != nil {
		return exitcode.Wrap(exitcode.PromotionRefused, fmt.Errorf("promotion refused: %w", err))
	}
	return nil
}

// Artifact downloads the file at path from job's artifacts. A file GitLab does not have
// (never uploaded, or expired) is exitcode.RecordInvalid.
func (c *Client) Artifact(ctx context.Context, job *Job, path string) ([]byte, error) {
	data, err := c.artifactFile(ctx, job, path, record.MaxSize)
	if IsNotFound(err) {
		return nil, exitcode.New(exitcode.RecordInvalid,
			"job %q (#%d) has no artifact %s: it expired, or the job does not list it in artifacts:paths (set promote.gitlab.artifact_path)",
			job.Name, job.ID, path)
	}
	return data, err
}

// artifactFile downloads the file at path from job's artifacts, reading at most max+1
// bytes (a decoder then refuses what is too long). A file GitLab does not have is an
// error IsNotFound reports.
func (c *Client) artifactFile(ctx context.Context, job *Job, path string, max int64) ([]byte, error) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	r, resp, err := c.api.Jobs.DownloadSingleArtifactsFile(c.project, job.ID, strings.Join(segs, "/"), gl.WithContext(ctx))
	op := fmt.Sprintf("download %s from the artifacts of job %q (#%d)", path, job.Name, job.ID)
	if err != nil {
		return nil, c.fail(op, resp, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(r, max+1)); err != nil {
		return nil, exitcode.New(exitcode.Failed, "GitLab: %s: %w", op, err)
	}
	return buf.Bytes(), nil
}

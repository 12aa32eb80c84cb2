package github

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
)

// Query says where a promotion's record is: the commit the promote run runs for, the
// branches promotion goes from and to, the workflow whose push runs test, and the job,
// artifact and file in it holding the record.
type Query struct {
	Commit     string // the commit on To, GITHUB_SHA
	From, To   string // promote.from and promote.to
	Workflow   string // the workflow file, .github/workflows/kiln.yml (GITHUB_WORKFLOW_REF)
	TestJob    string // --github-test-job, dev
	Artifact   string // --github-artifact, kiln-record
	RecordPath string // --github-record, kiln-image.json: the record's path in the artifact
}

// Found is a verified record and where it came from.
type Found struct {
	PullRequest *PullRequest
	Run         *Run
	Job         *Job
	Artifact    *Artifact
	Record      *record.Record
}

// FindRecord follows q from the commit to the record: the merged pull request, the newest
// successful push run of its head on q.From, the run's test job and artifact. It decodes
// the record strictly and verifies that it was baked from the pull request's head and that
// its tests passed for its exact image id.
func (c *Client) FindRecord(ctx context.Context, q Query) (*Found, error) {
	pr, err := c.MergedPullRequest(ctx, q.Commit, q.From, q.To)
	if err != nil {
		return nil, err
	}
	return c.FindTestedRecord(ctx, q, pr)
}

// FindTestedRecord is FindRecord for a pull request already known (an open one, in its
// pull request run): the newest successful q.From push run of its head commit, that run's
// test job, and the record in its artifact, decoded strictly and verified.
func (c *Client) FindTestedRecord(ctx context.Context, q Query, pr *PullRequest) (*Found, error) {
	run, err := c.SuccessfulRun(ctx, pr.HeadSHA, q.From, q.Workflow)
	if err != nil {
		return nil, err
	}
	job, err := c.TestJob(ctx, run, q.TestJob)
	if err != nil {
		return nil, err
	}
	art, err := c.RunArtifact(ctx, run, q.Artifact)
	if err != nil {
		return nil, err
	}
	data, err := c.ArtifactFile(ctx, art, q.RecordPath)
	if err != nil {
		return nil, err
	}
	rec, err := record.Decode(data, fmt.Sprintf("%s in artifact %s of run %d", q.RecordPath, art.Name, run.ID))
	if err != nil {
		return nil, err
	}
	if err := Verify(rec, pr); err != nil {
		return nil, err
	}
	return &Found{PullRequest: pr, Run: run, Job: job, Artifact: art, Record: rec}, nil
}

// Verify refuses (exitcode.PromotionRefused) a record that was not baked from the pull
// request's head commit, or whose tests did not pass for its exact image id.
func Verify(rec *record.Record, pr *PullRequest) error {
	if rec.Source.Commit != pr.HeadSHA {
		return exitcode.New(exitcode.PromotionRefused,
			"promotion refused: the record's image %s was baked from commit %s, not from %s, the head of pull request #%d",
			rec.Image.ID, short(rec.Source.Commit), short(pr.HeadSHA), pr.Number)
	}
	if err := rec.TestedOK(); err != nil {
		return exitcode.Wrap(exitcode.PromotionRefused, fmt.Errorf("promotion refused: %w", err))
	}
	return nil
}

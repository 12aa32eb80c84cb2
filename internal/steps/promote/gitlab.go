package promote

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"strconv"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gitlab"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// gitlabHelp ends --help: when GitLab mode is on and what it does.
const gitlabHelp = `GitLab mode (--source gitlab; --source auto, the default, turns it on in a GitLab CI job
(GITLAB_CI=true) on the promote.to branch (CI_COMMIT_BRANCH = promote.to), or in the pipeline
of a merge request from promote.from to promote.to, when neither --record nor KILN_RECORD is
given). In a merge request pipeline kiln only plans (as --dry-run): the record of the newest
successful promote.from pipeline of the merge request's head, checked as below, against the
promote environment; --plan-report writes GitLab's Terraform report of that plan. On
promote.to: from CI_COMMIT_SHA kiln finds the merged merge request
from promote.from to promote.to that made that commit (its merge commit, its squash commit,
or its head for a fast-forward), the newest successful promote.from pipeline of the merge
request's head, and downloads the record from that pipeline's test job artifacts
(promote.gitlab.test_job, artifact_path). It promotes only a record baked from the merge
request's head whose tests passed for its image, saves it as --record, promotes it as above
(the promotion names the merge request) and notes the promotion on the merge request once (a
hidden marker finds an earlier note). No such merge request or successful pipeline, a test
job that did not succeed, a record of another commit or with failed tests: exit 8. No test
job, no artifact (expired or not in artifacts:paths), an invalid record: exit 6. A token
GitLab refuses: exit 2. GitLab refuses notes to CI_JOB_TOKEN on most versions: kiln then
warns and exits 0; set KILN_GITLAB_TOKEN to have the note. Each CI job may run on another
machine: a local-registry image must be in a registry directory every job shares
(KILN_REGISTRY_PATH), and the promote environment's Terraform state must be shared too.`

// gitlabEnvVars are listed in docs/cli.md.
var gitlabEnvVars = []string{
	"GITLAB_CI, CI_COMMIT_BRANCH  GitLab mode turns on in a GitLab CI job on promote.to (--source auto)",
	"CI_API_V4_URL, CI_PROJECT_ID  GitLab mode: the API and the project (set in every GitLab CI job)",
	"CI_COMMIT_SHA  GitLab mode: the commit on promote.to whose merge request is promoted",
	"KILN_GITLAB_TOKEN  GitLab mode: an access token (read_api; api to post the note), never logged",
	"CI_JOB_TOKEN  GitLab mode: used when KILN_GITLAB_TOKEN is unset (most GitLab versions refuse it the API)",
	"CI_PIPELINE_URL, CI_JOB_URL  GitLab mode: linked from the merge request note",
}

// gitlabAuto reports whether --source auto takes the record from the GitLab API (see
// gitlabHelp): in a GitLab CI job on promote.to, or in a merge request pipeline from
// promote.from to promote.to.
func gitlabAuto(r *step.Run) bool {
	return r.Env.Getenv("GITLAB_CI") == "true" &&
		(r.Env.Getenv("CI_COMMIT_BRANCH") == r.Config.Promote.To || mergeRequestPipeline(r))
}

// mergeRequestPipeline reports whether this is the pipeline of a merge request from
// promote.from to promote.to, which may only plan the promotion.
func mergeRequestPipeline(r *step.Run) bool {
	p := r.Config.Promote
	return r.Env.Getenv("CI_PIPELINE_SOURCE") == "merge_request_event" &&
		r.Env.Getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") == p.From &&
		r.Env.Getenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") == p.To
}

// openMergeRequest is the merge request of a merge request pipeline, from GitLab's
// predefined variables: its head is the commit its promote.from pipeline tested.
func openMergeRequest(r *step.Run) (*gitlab.MergeRequest, error) {
	get := r.Env.Getenv
	iid, err := strconv.ParseInt(get("CI_MERGE_REQUEST_IID"), 10, 64)
	if err != nil {
		return nil, step.UsageError("merge request pipeline without a valid CI_MERGE_REQUEST_IID")
	}
	head := get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") // merged results pipelines
	if head == "" {
		head = get("CI_COMMIT_SHA")
	}
	if head == "" {
		return nil, step.UsageError("merge request pipeline without CI_COMMIT_SHA")
	}
	mr := &gitlab.MergeRequest{IID: iid, SHA: head, SourceBranch: get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
		TargetBranch: get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"), Title: get("CI_MERGE_REQUEST_TITLE")}
	if u := get("CI_MERGE_REQUEST_PROJECT_URL"); u != "" {
		mr.WebURL = u + "/-/merge_requests/" + strconv.FormatInt(iid, 10)
	}
	return mr, nil
}

// planMergeRequest plans the promotion of the image the merge request's head was tested
// with: in a merge request pipeline kiln-promote only plans, writes no record and posts no
// note.
func planMergeRequest(ctx context.Context, r *step.Run, c *gitlab.Client, q gitlab.Query) error {
	mr, err := openMergeRequest(r)
	if err != nil {
		return err
	}
	r.Logf("merge request pipeline of !%d: planning the promotion of the image its head %s was tested with", mr.IID, mr.SHA)
	found, err := c.FindTestedRecord(ctx, q, mr)
	if err != nil {
		return err
	}
	_, err = promote(ctx, r, found.Record, mr.WebURL, true, nil)
	return err
}

// runGitLab finds the record through the GitLab API, promotes it, and notes the merge request.
func runGitLab(ctx context.Context, r *step.Run) error {
	q, err := gitlabQuery(r)
	if err != nil {
		return err
	}
	s, err := gitlab.SettingsFromEnv(r.Env.Getenv)
	if err != nil {
		return err
	}
	c, err := gitlab.New(s)
	if err != nil {
		return err
	}
	if mergeRequestPipeline(r) && r.Env.Getenv("CI_COMMIT_BRANCH") != r.Config.Promote.To {
		return planMergeRequest(ctx, r, c, q)
	}
	r.Logf("GitLab mode: finding the %s -> %s merge request of commit %s", q.From, q.To, q.Commit)
	found, err := c.FindRecord(ctx, q)
	if err != nil {
		return err
	}
	mr := found.MergeRequest
	r.Logf("merge request !%d (merged by %s), %s pipeline #%d, job %s #%d: image %s",
		mr.IID, mr.How, found.Pipeline.Ref, found.Pipeline.ID, found.Job.Name, found.Job.ID, found.Record.Image.ID)
	rec := resume(r, found.Record)
	dryRun := r.Opts.Bool("dry-run")
	if !dryRun {
		if err := record.Write(r.RecordPath(), rec); err != nil {
			return err
		}
	}
	done, err := promote(ctx, r, rec, mr.WebURL, dryRun, gitlabSource(r, c, mr))
	if err != nil || !done {
		return err
	}
	found.Record = rec
	return note(ctx, r, c, found)
}

// gitlabQuery gathers what FindRecord needs from the CI variables, flags and kiln.yaml.
func gitlabQuery(r *step.Run) (gitlab.Query, error) {
	commit, err := gitlab.CommitFromEnv(r.Env.Getenv)
	if err != nil {
		return gitlab.Query{}, err
	}
	p := r.Config.Promote
	q := gitlab.Query{Commit: commit, From: p.From, To: p.To, TestJob: p.GitLab.TestJob, ArtifactPath: p.GitLab.ArtifactPath}
	if v := r.Opts.Get("gitlab-test-job"); v != "" {
		if problem := config.JobNameProblem(v); problem != "" {
			return q, step.UsageError("--gitlab-test-job %q %s", v, problem)
		}
		q.TestJob = v
	}
	if v := r.Opts.Get("gitlab-artifact"); v != "" {
		if problem := config.ArtifactPathProblem(v); problem != "" {
			return q, step.UsageError("--gitlab-artifact %q %s", v, problem)
		}
		q.ArtifactPath = v
	}
	return q, nil
}

// resume returns the downloaded record with, at most, the promotion section (and the
// promote environment's deployment) of the local record, when that one is this image's
// after an earlier run of this step: a second run then sees its own promotion and changes
// nothing. Everything the gate looks at (image, family, tests, test deployment) comes from
// the download: a local look-alike file cannot replace it.
func resume(r *step.Run, got *record.Record) *record.Record {
	local, err := record.Read(r.RecordPath())
	if err != nil || local.Image.ID != got.Image.ID || local.Promotion == nil || local.Promotion.ImageID != got.Image.ID {
		return got
	}
	env := deployment.PromoteEnvironment(r)
	if local.Promotion.Environment != env {
		return got
	}
	got.Promotion = local.Promotion
	if d := local.Deployment(env); d != nil && d.ImageID == got.Image.ID {
		got.SetDeployment(*d)
	}
	r.Logf("%s records an earlier promotion of %s to %s: resuming from it", r.RecordPath(), got.Image.ID, env)
	return got
}

// note posts the promotion note on the merge request unless it is there already. A token
// GitLab does not let post is a warning; another failure is an error that says the
// promotion itself is done.
func note(ctx context.Context, r *step.Run, c *gitlab.Client, found *gitlab.Found) error {
	env, iid := deployment.PromoteEnvironment(r), found.MergeRequest.IID
	info := r.CI.Info()
	body := gitlab.NoteBody(found, env, gitlab.Links{PipelineURL: info.PipelineURL, JobURL: info.JobURL})
	posted, err := c.NoteOnce(ctx, iid, promonote.Marker(env, found.Record.Image.ID), body)
	switch {
	case gitlab.IsDenied(err):
		r.Logf("warning: promoted, but the merge request !%d was not noted: %v", iid, err)
	case err != nil:
		return exitcode.Wrap(exitcode.Failed, fmt.Errorf("promoted, but noting merge request !%d failed "+
			"(run the job again to note it; the promotion will not repeat): %w", iid, err))
	case posted:
		fmt.Fprintf(r.Out, "noted the promotion on merge request !%d\n", iid)
	default:
		r.Logf("merge request !%d already notes this promotion", iid)
	}
	return nil
}

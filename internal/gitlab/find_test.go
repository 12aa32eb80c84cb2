package gitlab

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// TestFindRecord drives FindRecord through the fake: the three ways a merge lands on
// stable, and every way the gate refuses or the record is missing.
func TestFindRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, w *world) // changes the happy world
		commit string
		how    string // want success, merged this way
		code   int    // or want this exit code
		msg    string // and this in the message
	}{
		{name: "merge commit", commit: mergeSHA, how: MergedByMergeCommit},
		{name: "squash merge", commit: squashSH, how: MergedBySquash, setup: func(t *testing.T, w *world) {
			w.relabel(func(mr *gitlabtest.MergeRequest) { mr.MergeCommitSHA, mr.SquashCommitSHA = "", squashSH })
		}},
		{name: "squash with a merge commit", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.relabel(func(mr *gitlabtest.MergeRequest) { mr.SquashCommitSHA = squashSH })
		}},
		{name: "fast-forward", commit: head, how: MergedByFastForward, setup: func(t *testing.T, w *world) {
			w.relabel(func(mr *gitlabtest.MergeRequest) { mr.MergeCommitSHA = "" })
		}},
		{name: "retried test job", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.fake.AddJob(w.pipeline, "test", "failed", true) // an earlier attempt
		}},
		{name: "newest successful pipeline", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.fake.AddPipeline(head, "master", "failed") // a later run failed; the earlier one passed
		}},
		{name: "no merge request", commit: otherSHA, code: exitcode.PromotionRefused,
			msg: "promotion refused: commit 3d3d3d3d3d3d is not the merge of a merged merge request from master to stable"},
		{name: "merge request not merged", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to !1 master -> stable opened)",
			setup: func(t *testing.T, w *world) { w.relabel(func(mr *gitlabtest.MergeRequest) { mr.State = "opened" }) }},
		{name: "other branches", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to !1 feature -> master merged)",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(mr *gitlabtest.MergeRequest) { mr.SourceBranch, mr.TargetBranch = "feature", "master" })
			}},
		{name: "from a fork", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to !1 master -> stable merged)",
			setup: func(t *testing.T, w *world) { w.relabel(func(mr *gitlabtest.MergeRequest) { mr.FromFork = true }) }},
		{name: "commit inside the diff only", commit: otherSHA, code: exitcode.PromotionRefused, msg: "is not the merge of",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(mr *gitlabtest.MergeRequest) { mr.Commits = append(mr.Commits, otherSHA) })
			}},
		{name: "failed master pipeline", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg: "promotion refused: commit 0a0a0a0a0a0a has no successful master pipeline (#1004 running, #1001 failed)",
			setup: func(t *testing.T, w *world) {
				w.fake.SetPipelineStatus(w.pipeline, "failed")
				w.fake.AddPipeline(head, "master", "running")
				w.fake.AddPipeline(head, "stable", "success") // not a master pipeline
			}},
		{name: "no master pipeline", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg:   "promotion refused: commit 3d3d3d3d3d3d has no master pipeline",
			setup: func(t *testing.T, w *world) { w.relabel(func(mr *gitlabtest.MergeRequest) { mr.SHA = otherSHA }) }},
		{name: "test job failed", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg:   `promotion refused: job "test" (#1004) of pipeline #1001 is failed`,
			setup: func(t *testing.T, w *world) { w.fake.AddJob(w.pipeline, "test", "failed", false) }},
		{name: "no test job", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   `pipeline #1001 has no job "kiln-test" to take the record from (set promote.gitlab.test_job)`,
			setup: func(t *testing.T, w *world) { w.testJob = "kiln-test" }},
		{name: "missing artifact", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   `job "test" (#1003) has no artifact out/kiln-image.json: it expired`,
			setup: func(t *testing.T, w *world) { w.artifactPath = "out/kiln-image.json" }},
		{name: "artifact not a record", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg: `kiln-image.json of job "test" (#1003): `,
			setup: func(t *testing.T, w *world) {
				w.fake.SetArtifact(w.job, "kiln-image.json", []byte("<html>login</html>"))
			}},
		{name: "record of another commit", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg: "was baked from commit 3d3d3d3d3d3d, not from 0a0a0a0a0a0a, the head of merge request !1",
			setup: func(t *testing.T, w *world) {
				w.fake.SetArtifact(w.job, "kiln-image.json", recordFor(t, otherSHA, record.StatusPassed))
			}},
		{name: "record with failed tests", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "checks failed",
			setup: func(t *testing.T, w *world) {
				w.fake.SetArtifact(w.job, "kiln-image.json", recordFor(t, head, record.StatusFailed))
			}},
		{name: "untested record", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "has no test results",
			setup: func(t *testing.T, w *world) { w.fake.SetArtifact(w.job, "kiln-image.json", recordFor(t, head, "")) }},
		{name: "artifact path with spaces", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.artifactPath = "out dir/kiln image#1.json"
			w.fake.SetArtifact(w.job, w.artifactPath, recordFor(t, head, record.StatusPassed))
		}},
		{name: "server error", commit: mergeSHA, code: exitcode.Failed, msg: "GitLab: list the master pipelines of commit 0a0a0a0a0a0a: GET ",
			setup: func(t *testing.T, w *world) { w.fake.Fail("/pipelines", http.StatusBadRequest) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := happy(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			q := query(tc.commit)
			if w.testJob != "" {
				q.TestJob = w.testJob
			}
			if w.artifactPath != "" {
				q.ArtifactPath = w.artifactPath
			}
			found, err := w.client(t).FindRecord(context.Background(), q)
			if tc.how == "" {
				wantErr(t, err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found.MergeRequest.How != tc.how || found.MergeRequest.SHA != head || found.MergeRequest.IID != w.iid {
				t.Errorf("merge request %+v, want !%d merged by %s with head %s", found.MergeRequest, w.iid, tc.how, head)
			}
			if found.Pipeline.ID != w.pipeline || found.Job.ID != w.job || found.Record.Image.ID != imageID {
				t.Errorf("found pipeline #%d job #%d image %s, want #%d #%d %s",
					found.Pipeline.ID, found.Job.ID, found.Record.Image.ID, w.pipeline, w.job, imageID)
			}
			if !strings.HasSuffix(found.MergeRequest.WebURL, "/acme/web/-/merge_requests/1") {
				t.Errorf("merge request web URL %q", found.MergeRequest.WebURL)
			}
		})
	}
}

// TestTokens: the access token goes in PRIVATE-TOKEN, the job token in JOB-TOKEN; a token
// GitLab refuses is a usage error that says what to do, and never shows the token.
func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		name     string
		token    func(f *gitlabtest.Fake) string
		job      bool
		reads    bool
		header   string
		code     int
		hint     string
		notFound bool
	}{
		{name: "access token", token: func(f *gitlabtest.Fake) string { return f.Token }, header: "[PRIVATE-TOKEN]"},
		{name: "job token with read access", token: func(f *gitlabtest.Fake) string { return f.JobToken }, job: true, reads: true, header: "[JOB-TOKEN]"},
		{name: "job token", token: func(f *gitlabtest.Fake) string { return f.JobToken }, job: true, header: "[JOB-TOKEN]",
			code: exitcode.Usage, hint: "GitLab refuses most API endpoints to CI_JOB_TOKEN: set KILN_GITLAB_TOKEN"},
		{name: "wrong token", token: func(*gitlabtest.Fake) string { return "glpat-wrong-secret" }, header: "[PRIVATE-TOKEN]",
			code: exitcode.Usage, hint: "401 {message: 401 Unauthorized} (KILN_GITLAB_TOKEN is refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := happy(t)
			if tc.reads {
				w.fake.AllowJobTokenReads()
			}
			token := tc.token(w.fake)
			c, err := New(Settings{APIURL: w.fake.URL, Project: "42", Token: token, JobToken: tc.job})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.FindRecord(context.Background(), query(mergeSHA))
			if tc.code != 0 {
				wantErr(t, err, tc.code, tc.hint)
				if strings.Contains(err.Error(), token) {
					t.Fatalf("the error shows the token: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, r := range w.fake.Requests() {
				if !strings.HasSuffix(r, tc.header) {
					t.Errorf("request %q, want the token in %s", r, tc.header)
				}
			}
		})
	}
}

func wantErr(t *testing.T, err error, code int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want exit %d: %s", code, msg)
	}
	if got := exitcode.Of(err); got != code {
		t.Fatalf("exit code %d, want %d: %v", got, code, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q lacks %q", err, msg)
	}
}

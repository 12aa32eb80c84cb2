package github

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/github/githubtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// TestFindRecord drives FindRecord through the fake: the ways a merge lands on stable, and
// every way the gate refuses or the record is missing.
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
		{name: "squash merge", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.relabel(func(pr *githubtest.PullRequest) { pr.Commits = []string{otherSHA, head} }) // two commits squashed
		}},
		{name: "rebase merge", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.relabel(func(pr *githubtest.PullRequest) {
				pr.Commits, pr.Landed = []string{otherSHA, head}, []string{rebased1, mergeSHA}
			})
		}},
		{name: "fast-forward", commit: head, how: MergedByFastForward, setup: func(t *testing.T, w *world) {
			w.relabel(func(pr *githubtest.PullRequest) { pr.MergeCommitSHA = head })
		}},
		{name: "job outside a reusable workflow", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.q.TestJob = "validate"
		}},
		{name: "retried test job", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.fake.AddJob(w.run, "kiln / dev", "failure", true) // an earlier attempt
		}},
		{name: "newest successful run", commit: mergeSHA, how: MergedByMergeCommit, setup: func(t *testing.T, w *world) {
			w.fake.AddRun(workflow, "push", "master", head, "failure") // a later run failed; the earlier one passed
		}},
		{name: "no pull request", commit: otherSHA, code: exitcode.PromotionRefused,
			msg: "promotion refused: commit 3d3d3d3d3d3d is not the merge of a merged pull request from master to stable"},
		{name: "pull request not merged", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to #1 master -> stable open)",
			setup: func(t *testing.T, w *world) {
				// an open pull request's merge_commit_sha is GitHub's test merge: never a merge
				w.relabel(func(pr *githubtest.PullRequest) { pr.State, pr.Merged, pr.Landed = "open", false, []string{mergeSHA} })
			}},
		{name: "closed without merging", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to #1 master -> stable closed)",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(pr *githubtest.PullRequest) { pr.Merged, pr.Landed = false, []string{mergeSHA} })
			}},
		{name: "other branches", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "(it belongs to #1 feature -> master merged)",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(pr *githubtest.PullRequest) { pr.Head, pr.Base = "feature", "master" })
			}},
		{name: "from a fork", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg: "(it belongs to #1 master -> stable merged from the fork mallory/web)",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(pr *githubtest.PullRequest) { pr.Fork = "mallory/web" })
			}},
		{name: "from a deleted fork", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "merged from a deleted fork)",
			setup: func(t *testing.T, w *world) { w.relabel(func(pr *githubtest.PullRequest) { pr.Fork = "-" }) }},
		{name: "commit inside the pull request only", commit: otherSHA, code: exitcode.PromotionRefused, msg: "is not the merge of",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(pr *githubtest.PullRequest) { pr.Commits = []string{otherSHA, head} })
			}},
		{name: "a rebase merge's earlier copy", commit: rebased1, code: exitcode.PromotionRefused, msg: "(it belongs to #1 master -> stable merged)",
			setup: func(t *testing.T, w *world) {
				w.relabel(func(pr *githubtest.PullRequest) { pr.Landed = []string{rebased1, mergeSHA} })
			}},
		{name: "failed run", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg: "promotion refused: commit 0a0a0a0a0a0a has no successful push run of .github/workflows/kiln.yml on master (run 1006 in_progress, run 1001 failure)",
			setup: func(t *testing.T, w *world) {
				w.fake.SetRunConclusion(w.run, "failure")
				w.fake.AddRun(workflow, "push", "master", head, "")
				w.fake.AddRun(workflow, "push", "stable", head, "success")         // not on master
				w.fake.AddRun(workflow, "pull_request", "master", head, "success") // not a push
				w.fake.AddRun(".github/workflows/other.yml", "push", "master", head, "success")
			}},
		{name: "no run", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg:   "promotion refused: commit 3d3d3d3d3d3d has no push run of .github/workflows/kiln.yml on master",
			setup: func(t *testing.T, w *world) { w.relabel(func(pr *githubtest.PullRequest) { pr.HeadSHA = otherSHA }) }},
		{name: "test job failed", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg: `promotion refused: job "kiln / dev" (1004) of run 1001 is failure`,
			setup: func(t *testing.T, w *world) {
				w.fake.SetJobConclusion(w.job, "failure")
				w.fake.AddJob(w.run, "other / dev", "success", false) // passing elsewhere does not make up for it
			}},
		{name: "no test job", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   `run 1001 has no job "kiln-test" to take the record from (set --github-test-job)`,
			setup: func(t *testing.T, w *world) { w.q.TestJob = "kiln-test" }},
		{name: "no artifact", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   "run 1001 has no artifact kiln-bake: the run did not upload it (set --github-artifact)",
			setup: func(t *testing.T, w *world) { w.q.Artifact = "kiln-bake" }},
		{name: "expired artifact", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   "run 1001 has no artifact kiln-record: it expired",
			setup: func(t *testing.T, w *world) { w.fake.ExpireArtifact(w.artifact) }},
		{name: "no record in the artifact", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg:   "artifact kiln-record of run 1001 has no out/kiln-image.json (it holds kiln-image.json, kiln.env; set --github-record)",
			setup: func(t *testing.T, w *world) { w.q.RecordPath = "out/kiln-image.json" }},
		{name: "artifact not a zip", commit: mergeSHA, code: exitcode.RecordInvalid, msg: "artifact kiln-record of run 1001 is not a zip archive",
			setup: func(t *testing.T, w *world) {
				w.fake.ExpireArtifact(w.artifact)
				w.fake.AddArtifactZip(w.run, "kiln-record", []byte("<html>"))
			}},
		{name: "artifact not a record", commit: mergeSHA, code: exitcode.RecordInvalid,
			msg: "kiln-image.json in artifact kiln-record of run 1001: ",
			setup: func(t *testing.T, w *world) {
				w.fake.ExpireArtifact(w.artifact)
				w.fake.AddArtifact(t, w.run, "kiln-record", map[string][]byte{"kiln-image.json": []byte("<html>login</html>")})
			}},
		{name: "record of another commit", commit: mergeSHA, code: exitcode.PromotionRefused,
			msg:   "was baked from commit 3d3d3d3d3d3d, not from 0a0a0a0a0a0a, the head of pull request #1",
			setup: func(t *testing.T, w *world) { w.replaceRecord(t, recordFor(t, otherSHA, record.StatusPassed)) }},
		{name: "failed tests", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "promotion refused: the tests of image",
			setup: func(t *testing.T, w *world) { w.replaceRecord(t, recordFor(t, head, record.StatusFailed)) }},
		{name: "no tests", commit: mergeSHA, code: exitcode.PromotionRefused, msg: "has no test results",
			setup: func(t *testing.T, w *world) { w.replaceRecord(t, recordFor(t, head, "")) }},
		{name: "API failure", commit: mergeSHA, code: exitcode.Failed, msg: "GitHub: list the master runs of commit 0a0a0a0a0a0a",
			setup: func(t *testing.T, w *world) { w.fake.Fail("/actions/runs", http.StatusBadGateway) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := happy(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			q := w.q
			q.Commit = tc.commit
			found, err := w.client(t).FindRecord(context.Background(), q)
			if tc.code != 0 {
				if err == nil || exitcode.Of(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("want exit %d with %q, got %v (exit %d)", tc.code, tc.msg, err, exitcode.Of(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found.PullRequest.How != tc.how || found.PullRequest.Number != w.number || found.Run.ID != w.run ||
				found.Record.Image.ID != imageID || found.Record.Source.Commit != head {
				t.Fatalf("found %+v %+v %+v", found.PullRequest, found.Run, found.Record.Image)
			}
			if found.PullRequest.HTMLURL != w.fake.ServerURL+"/acme/web/pull/1" {
				t.Fatalf("pull request URL %q", found.PullRequest.HTMLURL)
			}
		})
	}
}

// replaceRecord swaps the artifact for one holding rec.
func (w *world) replaceRecord(t *testing.T, rec []byte) {
	t.Helper()
	w.fake.ExpireArtifact(w.artifact)
	w.artifact = w.fake.AddArtifact(t, w.run, "kiln-record", map[string][]byte{"kiln-image.json": rec})
}

// TestDeniedToken: a token GitHub does not know is exit 2 with a hint, and never in the
// message.
func TestDeniedToken(t *testing.T) {
	w := happy(t)
	for _, job := range []bool{false, true} {
		c := clientWith(t, w.fake, "ghs_notAToken", job)
		_, err := c.FindRecord(context.Background(), w.q)
		if !IsDenied(err) || exitcode.Of(err) != exitcode.Usage || strings.Contains(err.Error(), "ghs_notAToken") {
			t.Fatalf("job token %v: %v (exit %d)", job, err, exitcode.Of(err))
		}
		want := map[bool]string{false: "KILN_GITHUB_TOKEN is refused", true: "GITHUB_TOKEN needs permissions actions: read"}[job]
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("job token %v: %v lacks %q", job, err, want)
		}
	}
}

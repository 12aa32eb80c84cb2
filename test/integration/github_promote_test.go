package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/github/githubtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// The commits a merge leaves on stable, besides mergeCommit and squashCommit.
var (
	rebasedCopy = strings.Repeat("7b", 20) // a rebase merge's first copied commit
	rebasedTip  = strings.Repeat("8c", 20) // its last: the pull request's merge_commit_sha
	testMerge   = strings.Repeat("9d", 20) // GitHub's test merge of an open pull request
)

const callerWorkflow = ".github/workflows/kiln.yml"

// TestGitHubPromote runs the real kiln-promote in GitHub mode (picked by --source auto on a
// push to stable) against the fake GitHub API (internal/github/githubtest): for a merge
// commit, a squash merge and a rebase merge it downloads the tested record from the kiln-record
// artifact of the master push run of the pull request's head, applies prod with its exact
// image id (read back from Terraform's state) and comments the pull request once (a dry run
// before plans only). Run again, in the same workspace or a fresh one, it applies nothing
// and comments nothing. A token that may not comment: kiln warns and succeeds.
func TestGitHubPromote(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	wantID := imageOf(t, tested)
	addEnvironments(t, w, "prod-squash", "prod-rebase", "prod-read")
	for _, tc := range []struct {
		name, env, commit string
		pr                githubtest.PullRequest
		readOnly          bool
	}{
		{name: "merge commit", env: "prod", commit: mergeCommit, pr: githubtest.PullRequest{MergeCommitSHA: mergeCommit}},
		{name: "squash merge", env: "prod-squash", commit: squashCommit,
			pr: githubtest.PullRequest{MergeCommitSHA: squashCommit, Commits: []string{rebasedCopy, sourceSHA}}},
		{name: "rebase merge", env: "prod-rebase", commit: rebasedTip,
			pr: githubtest.PullRequest{MergeCommitSHA: rebasedTip, Commits: []string{testMerge, sourceSHA}, Landed: []string{rebasedCopy, rebasedTip}}},
		{name: "token without pull-requests: write", env: "prod-read", commit: mergeCommit, readOnly: true,
			pr: githubtest.PullRequest{MergeCommitSHA: mergeCommit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freshWorkspace(t, w)
			f, n := githubMerge(t, tc.pr, tested)
			env := githubEnv(f, tc.commit, map[string]string{"KILN_PROMOTE_ENVIRONMENT": tc.env})
			if tc.readOnly {
				env["GITHUB_TOKEN"] = f.ReadToken
			}
			dry := must(t, w.dir, "promote", env, "--dry-run")
			if !strings.Contains(dry.stdout, "dry run: "+tc.env+" would change") || len(f.Comments(n)) != 0 {
				t.Fatalf("dry run: comments %v\n%s", f.Comments(n), dry)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
				t.Fatal("the dry run wrote the record")
			}
			r := must(t, w.dir, "promote", env)
			githubNoToken(t, f, r)
			if got := w.state(t, tc.env)["terraform_data.vm"]; got != wantID {
				t.Fatalf("%s state holds image %q, want %q", tc.env, got, wantID)
			}
			rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
			if err != nil {
				t.Fatal(err)
			}
			if p := rec.Promotion; p == nil || p.ImageID != wantID || p.MergeRequest != f.ServerURL+"/acme/web/pull/1" {
				t.Fatalf("promotion %+v", rec.Promotion)
			}
			comments := f.Comments(n)
			if tc.readOnly {
				if len(comments) != 0 || !strings.Contains(r.stderr, "warning: promoted, but pull request #1 was not commented") {
					t.Fatalf("read-only token: comments %v\n%s", comments, r)
				}
				return
			}
			if len(comments) != 1 || !strings.Contains(comments[0].Body, "image="+wantID+" -->") ||
				!strings.Contains(comments[0].Body, "(merged by merge, squash or rebase)") ||
				!strings.Contains(comments[0].Body, f.ServerURL+"/acme/web/actions/runs/9001") {
				t.Fatalf("comments after the first run: %+v", comments)
			}
			if tc.env == "prod" {
				githubRunsAgain(t, w, f, env, n)
			}
		})
	}
}

// githubRunsAgain runs the promote job twice more, in the same workspace and in a fresh one
// (a re-run on another runner): neither applies nor comments again.
func githubRunsAgain(t *testing.T, w *world, f *githubtest.Fake, env map[string]string, n int) {
	t.Helper()
	statePath := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	state := readFile(t, statePath)
	before := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	r := must(t, w.dir, "promote", env)
	if !strings.Contains(r.stdout, "already promoted") || !strings.Contains(r.stderr, "already has a comment on this promotion") {
		t.Fatalf("second run: %s", r)
	}
	if readFile(t, filepath.Join(w.dir, "kiln-image.json")) != before {
		t.Fatal("the second run rewrote the record")
	}
	freshWorkspace(t, w)
	must(t, w.dir, "promote", env)
	if readFile(t, statePath) != state {
		t.Fatal("a later run changed prod's state")
	}
	if c := len(f.Comments(n)); c != 1 {
		t.Fatalf("%d comments after three runs, want 1", c)
	}
	posts := 0
	for _, req := range f.Requests() {
		if strings.HasPrefix(req, "POST ") {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("%d POST requests, want 1: %v", posts, f.Requests())
	}
}

// TestGitHubPromoteRefused: a pull request not merged, from a fork or another branch, a
// failed run or test job, a record of another commit or with failed tests are refused (exit
// 8); a missing artifact is exit 6; a token GitHub refuses is exit 2. Nothing reaches prod,
// no record is written, no comment is posted. Outside a push to stable, or with --record,
// promote reads the file as before and asks GitHub nothing.
func TestGitHubPromoteRefused(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	merged := githubtest.PullRequest{MergeCommitSHA: mergeCommit}
	relabel := func(change func(pr *githubtest.PullRequest)) func(f *githubtest.Fake) {
		return func(f *githubtest.Fake) { f.UpdatePullRequest(1, change) }
	}
	for _, tc := range []struct {
		name     string
		change   func(f *githubtest.Fake)
		record   string
		env      map[string]string
		args     []string
		code     int
		want     string
		fileMode bool
	}{
		{name: "not merged", change: relabel(func(pr *githubtest.PullRequest) { pr.State, pr.Merged = "open", false }), code: 8,
			want: "promotion refused: commit 4e4e4e4e4e4e is not the merge of a merged pull request from master to stable"},
		{name: "from a fork", change: relabel(func(pr *githubtest.PullRequest) { pr.Fork = "mallory/web" }), code: 8,
			want: "#1 master -> stable merged from the fork mallory/web"},
		{name: "other branch", change: relabel(func(pr *githubtest.PullRequest) { pr.Head = "hotfix" }), code: 8,
			want: "(it belongs to #1 hotfix -> stable merged)"},
		{name: "run failed", change: func(f *githubtest.Fake) { f.SetRunConclusion(1001, "failure") }, code: 8,
			want: "has no successful push run of .github/workflows/kiln.yml on master (run 1001 failure)"},
		{name: "test job failed", change: func(f *githubtest.Fake) { f.SetJobConclusion(1004, "failure") }, code: 8,
			want: `job "kiln / dev" (1004) of run 1001 is failure`},
		{name: "record of another commit", record: retarget(t, tested, strings.Repeat("6a", 20)), code: 8,
			want: "not from 0123456789ab, the head of pull request #1"},
		{name: "failed tests", record: failedTests(t, tested), code: 8, want: "promotion refused: the tests of image"},
		{name: "missing artifact", record: "-", code: 6, want: "run 1001 has no artifact kiln-record"},
		{name: "token refused", env: map[string]string{"GITHUB_TOKEN": "ghs_revoked"}, code: 2,
			want: "GITHUB_TOKEN needs permissions actions: read"},
		{name: "push to master", env: map[string]string{"GITHUB_REF_NAME": "master", "GITHUB_REF": "refs/heads/master"},
			code: 6, want: "kiln-image.json: not found", fileMode: true},
		{name: "explicit record", args: []string{"--record", "kiln-image.json"}, code: 6, want: "kiln-image.json: not found", fileMode: true},
		{name: "unknown source", args: []string{"--source", "svn"}, code: 2, want: `--source "svn": want auto, file, gitlab or github`, fileMode: true},
		{name: "bad artifact name", env: map[string]string{"KILN_GITHUB_ARTIFACT": "a/b"}, code: 2,
			want: `KILN_GITHUB_ARTIFACT="a/b": want an artifact name`, fileMode: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freshWorkspace(t, w)
			rec := tested
			if tc.record != "" {
				rec = tc.record
			}
			f, n := githubMerge(t, merged, rec)
			if tc.change != nil {
				tc.change(f)
			}
			r := kiln(t, w.dir, "promote", githubEnv(f, mergeCommit, tc.env), tc.args...)
			wantExit(t, r, tc.code, tc.want)
			githubNoToken(t, f, r)
			if strings.Contains(r.stderr, "ghs_revoked") {
				t.Fatalf("the output shows the refused token: %s", r)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod")); err == nil {
				t.Fatal("prod was deployed")
			}
			if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
				t.Fatal("a refused promotion wrote the record")
			}
			if len(f.Comments(n)) != 0 || (tc.fileMode && len(f.Requests()) != 0) {
				t.Fatalf("comments %v, requests %v", f.Comments(n), f.Requests())
			}
		})
	}
}

// TestGitHubPullRequestPlan: in the run of an open master -> stable pull request,
// kiln-promote finds the record its head's master push run tested, only plans prod with that
// image (forced dry run), and changes nothing: no apply, no record, no comment. A head whose
// master run failed is refused (exit 8).
func TestGitHubPullRequestPlan(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	freshWorkspace(t, w)
	open := githubtest.PullRequest{State: "open", MergeCommitSHA: testMerge}
	event := filepath.Join(t.TempDir(), "event.json")
	payload, _ := json.Marshal(map[string]any{"action": "synchronize", "number": 1,
		"pull_request": map[string]any{"number": 1, "head": map[string]any{"ref": "master", "sha": sourceSHA}}})
	writeFile(t, event, string(payload))
	prEnv := func(f *githubtest.Fake) map[string]string {
		return githubEnv(f, testMerge, map[string]string{
			"GITHUB_EVENT_NAME":   "pull_request",
			"GITHUB_EVENT_PATH":   event,
			"GITHUB_REF":          "refs/pull/1/merge",
			"GITHUB_REF_NAME":     "1/merge",
			"GITHUB_HEAD_REF":     "master",
			"GITHUB_BASE_REF":     "stable",
			"GITHUB_WORKFLOW_REF": "acme/web/" + callerWorkflow + "@refs/pull/1/merge",
			"KILN_PLAN_REPORT":    "kiln-plan.json",
		})
	}
	f, n := githubMerge(t, open, tested)
	r := must(t, w.dir, "promote", prEnv(f))
	githubNoToken(t, f, r)
	if !strings.Contains(r.stdout, "dry run: prod would change") || !strings.Contains(r.stderr, "pull request run of #1") {
		t.Fatalf("pull request run: %s", r)
	}
	var rep struct{ Create, Update, Delete int }
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(w.dir, "kiln-plan.json"))), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Create != 1 || rep.Update != 0 || rep.Delete != 0 {
		t.Fatalf("plan report %+v, want one create", rep)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
		t.Fatal("a pull request run wrote the record")
	}
	if c := len(f.Comments(n)); c != 0 {
		t.Fatalf("a pull request run posted %d comments", c)
	}
	prodState := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	if _, err := os.Stat(prodState); err == nil && len(w.state(t, "prod")) > 0 {
		t.Fatal("a pull request run deployed prod")
	}

	// The head's master run failed: nothing tested it.
	f2, _ := githubMerge(t, open, tested)
	f2.SetRunConclusion(1001, "failure")
	wantExit(t, kiln(t, w.dir, "promote", prEnv(f2)), 8, "has no successful push run")
}

// githubMerge sets up a fake GitHub where pull request #1 (master -> stable, head
// sourceSHA) was merged as pr says (an open one stays open), the master push run 1001 of
// the calling workflow for its head succeeded, with the reusable workflow's jobs (kiln /
// dev is 1004), and its kiln-record artifact (1005) holds rec as kiln-image.json ("-" for
// no artifact).
func githubMerge(t *testing.T, pr githubtest.PullRequest, rec string) (*githubtest.Fake, int) {
	t.Helper()
	f := githubtest.New(t)
	pr.Title, pr.Head, pr.Base, pr.HeadSHA = "Release to stable", "master", "stable", sourceSHA
	if pr.State == "" {
		pr.State, pr.Merged = "closed", true
	}
	if pr.Commits == nil {
		pr.Commits = []string{sourceSHA}
	}
	n := f.AddPullRequest(pr)
	run := f.AddRun(callerWorkflow, "push", "master", sourceSHA, "success")
	for _, job := range []string{"kiln / validate", "kiln / bake", "kiln / dev"} {
		f.AddJob(run, job, "success", false)
	}
	if rec != "-" {
		f.AddArtifact(t, run, "kiln-record", map[string][]byte{"kiln-image.json": []byte(rec), "kiln.env": []byte("KILN_TEST_STATUS=passed\n")})
	}
	return f, n
}

// githubEnv is the environment of a promote job in a push run on stable for commit,
// talking to f with its full token; extra overrides it ("" unsets a variable).
func githubEnv(f *githubtest.Fake, commit string, extra map[string]string) map[string]string {
	env := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_API_URL":      f.URL,
		"GITHUB_SERVER_URL":   f.ServerURL,
		"GITHUB_REPOSITORY":   githubtest.Owner + "/" + githubtest.Repo,
		"GITHUB_SHA":          commit,
		"GITHUB_REF":          "refs/heads/stable",
		"GITHUB_REF_NAME":     "stable",
		"GITHUB_REF_TYPE":     "branch",
		"GITHUB_EVENT_NAME":   "push",
		"GITHUB_WORKFLOW_REF": "acme/web/" + callerWorkflow + "@refs/heads/stable",
		"GITHUB_RUN_ID":       "9001",
		"GITHUB_TOKEN":        f.Token,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// failedTests returns rec with tests that failed one check.
func failedTests(t *testing.T, rec string) string {
	t.Helper()
	r, err := record.Decode([]byte(rec), "record")
	if err != nil {
		t.Fatal(err)
	}
	r.Tests.Status, r.Tests.Failed, r.Tests.Passed = record.StatusFailed, 1, r.Tests.Total-1
	data, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// githubNoToken fails the test if a token of f shows in the run's output.
func githubNoToken(t *testing.T, f *githubtest.Fake, r result) {
	t.Helper()
	for _, tok := range []string{f.Token, f.ReadToken} {
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Fatalf("the output shows a token: %s", r)
		}
	}
}

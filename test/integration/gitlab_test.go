package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// sourceSHA is the commit baseEnv bakes from: the merge request's head on master.
const sourceSHA = "0123456789abcdef0123456789abcdef01234567"

// The commits a merge leaves on stable.
var (
	mergeCommit  = strings.Repeat("4e", 20)
	squashCommit = strings.Repeat("5f", 20)
)

// TestGitLabPromote runs the real kiln-promote in GitLab mode against the fake GitLab API
// (internal/gitlab/gitlabtest), as the promote job of a stable pipeline would: for a merge
// commit, a squash merge and a fast-forward it downloads the tested record from the master
// pipeline's test job, applies prod with its exact image id (read back from Terraform's
// state) and notes the merge request once (a dry run before plans only). Run again, in the same workspace or a fresh one,
// it applies nothing and notes nothing. With only the job token, GitLab refuses the note:
// kiln warns and succeeds.
func TestGitLabPromote(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	wantID := imageOf(t, tested)
	addEnvironments(t, w, "prod-squash", "prod-ff", "prod-job")
	for _, tc := range []struct {
		name, env, commit, how string
		mr                     gitlabtest.MergeRequest
		jobToken               bool
	}{
		{name: "merge commit", env: "prod", commit: mergeCommit, how: "merge commit",
			mr: gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}},
		{name: "squash merge", env: "prod-squash", commit: squashCommit, how: "squash commit",
			mr: gitlabtest.MergeRequest{SquashCommitSHA: squashCommit}},
		{name: "fast-forward", env: "prod-ff", commit: sourceSHA, how: "fast-forward"},
		{name: "job token", env: "prod-job", commit: mergeCommit, jobToken: true,
			mr: gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freshWorkspace(t, w)
			f, iid := stableMerge(t, tc.mr, tested)
			env := gitlabEnv(f, tc.commit, map[string]string{"KILN_PROMOTE_ENVIRONMENT": tc.env})
			if tc.jobToken {
				f.AllowJobTokenReads()
				env["KILN_GITLAB_TOKEN"] = ""
			}
			dry := must(t, w.dir, "promote", env, "--dry-run")
			if !strings.Contains(dry.stdout, "dry run: "+tc.env+" would change") || len(f.Notes(iid)) != 0 {
				t.Fatalf("dry run: notes %v\n%s", f.Notes(iid), dry)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
				t.Fatal("the dry run wrote the record")
			}
			r := must(t, w.dir, "promote", env)
			noToken(t, f, r)
			if got := w.state(t, tc.env)["terraform_data.vm"]; got != wantID {
				t.Fatalf("%s state holds image %q, want %q", tc.env, got, wantID)
			}
			rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
			if err != nil {
				t.Fatal(err)
			}
			if p := rec.Promotion; p == nil || p.ImageID != wantID || p.MergeRequest != f.WebURL+"/-/merge_requests/1" {
				t.Fatalf("promotion %+v", rec.Promotion)
			}
			notes := f.Notes(iid)
			if tc.jobToken {
				if len(notes) != 0 || !strings.Contains(r.stderr, "warning: promoted, but the merge request !1 was not noted") {
					t.Fatalf("job token: notes %v\n%s", notes, r)
				}
				return
			}
			if len(notes) != 1 || !strings.Contains(notes[0].Body, "image="+wantID+" -->") ||
				!strings.Contains(notes[0].Body, "(merged by "+tc.how+")") {
				t.Fatalf("notes after the first run: %+v", notes)
			}
			if tc.env == "prod" {
				runsAgain(t, w, f, env, iid)
			}
		})
	}
}

// runsAgain runs the promote job twice more, in the same workspace and in a fresh one
// (a retried job on another runner): neither applies nor notes again.
func runsAgain(t *testing.T, w *world, f *gitlabtest.Fake, env map[string]string, iid int64) {
	t.Helper()
	statePath := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	state := readFile(t, statePath)
	before := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	r := must(t, w.dir, "promote", env)
	if !strings.Contains(r.stdout, "already promoted") || !strings.Contains(r.stderr, "already notes this promotion") {
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
	if n := len(f.Notes(iid)); n != 1 {
		t.Fatalf("%d notes after three runs, want 1", n)
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

// TestGitLabPromoteRefused: no merge request, a failed master pipeline, a record of
// another commit are refused (exit 8); a missing artifact is exit 6; a token GitLab
// refuses is exit 2. Nothing reaches prod, no record is written, no note is posted.
// Outside the stable branch, or with --record, promote reads the file as before.
func TestGitLabPromoteRefused(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	other := retarget(t, tested, strings.Repeat("6a", 20))
	merged := gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}
	for _, tc := range []struct {
		name     string
		change   func(f *gitlabtest.Fake, iid int64)
		record   string
		env      map[string]string
		args     []string
		code     int
		want     string
		fileMode bool
	}{
		{name: "no merge request", env: map[string]string{"CI_COMMIT_SHA": squashCommit}, code: 8,
			want: "is not the merge of a merged merge request from master to stable"},
		{name: "failed master pipeline", change: func(f *gitlabtest.Fake, _ int64) { f.SetPipelineStatus(1001, "failed") },
			code: 8, want: "has no successful master pipeline (#1001 failed)"},
		{name: "record of another commit", record: other, code: 8, want: "not from 0123456789ab, the head of merge request !1"},
		{name: "missing artifact", change: func(f *gitlabtest.Fake, _ int64) { f.SetArtifact(1002, "other.json", nil) },
			record: "-", code: 6, want: `job "test" (#1002) has no artifact kiln-image.json`},
		{name: "job token refused", env: map[string]string{"KILN_GITLAB_TOKEN": ""}, code: 2,
			want: "set KILN_GITLAB_TOKEN to a project access token"},
		{name: "master branch", env: map[string]string{"CI_COMMIT_BRANCH": "master"}, code: 6, want: "kiln-image.json: not found", fileMode: true},
		{name: "explicit record", args: []string{"--record", "kiln-image.json"}, code: 6, want: "kiln-image.json: not found", fileMode: true},
		{name: "forced GitLab mode", env: map[string]string{"CI_COMMIT_BRANCH": "master", "CI_COMMIT_SHA": squashCommit},
			args: []string{"--source", "gitlab"}, code: 8, want: "is not the merge of a merged merge request"},
		{name: "unknown source", args: []string{"--source", "svn"}, code: 2, want: `--source "svn": want auto, file, gitlab or github`, fileMode: true},
		{name: "bad test job flag", env: map[string]string{"KILN_GITLAB_TEST_JOB": " "}, code: 2, want: `--gitlab-test-job " " is empty`, fileMode: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freshWorkspace(t, w)
			rec := tested
			if tc.record != "" {
				rec = tc.record
			}
			f, iid := stableMerge(t, merged, rec)
			if tc.change != nil {
				tc.change(f, iid)
			}
			r := kiln(t, w.dir, "promote", gitlabEnv(f, mergeCommit, tc.env), tc.args...)
			wantExit(t, r, tc.code, tc.want)
			noToken(t, f, r)
			if _, err := os.Stat(filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod")); err == nil {
				t.Fatal("prod was deployed")
			}
			if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
				t.Fatal("a refused promotion wrote the record")
			}
			if len(f.Notes(iid)) != 0 || (tc.fileMode && len(f.Requests()) != 0) {
				t.Fatalf("notes %v, requests %v", f.Notes(iid), f.Requests())
			}
		})
	}
}

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/github/githubtest"
	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/planfile"
	tf "github.com/kiln-ci/kiln/internal/terraform"
)

// The keys that seal reviewed plans (KILN_PLAN_KEY): 32 bytes, base64.
var (
	planKey  = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
	otherKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x7c}, 32))
)

// mrRef is the ref of merge request !1's pipelines.
const mrRef = "refs/merge-requests/1/head"

// TestReviewedPlanGitLab runs the merge request pipeline's plan job and the stable
// pipeline's promote job of the real kiln-promote against the fake GitLab, on the real
// Terraform, one environment per case:
//   - unchanged: the plan sealed in the merge request is applied as it is, with no second
//     plan (no terraform plan phase in the promote job);
//   - changed: a manual apply between the two bumps the state's serial: re-planned and
//     applied with one line saying so, or refused (exit 8) with the serials under
//     promote.require_reviewed_plan;
//   - tampered or another key: no reviewed plan, re-planned or refused;
//   - another image in the plan file than in its envelope: caught from terraform show;
//   - no key: a warning, no artifact, the promotion plans again.
func TestReviewedPlanGitLab(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	id := imageOf(t, tested)
	addEnvironments(t, w, "prod-b", "prod-c", "prod-d", "prod-e", "prod-f")
	base := w.template

	t.Run("unchanged", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		sealed := gitlabPlan(t, w, f, "prod", planKey)
		for _, clear := range []string{id, "image_id", "PK\x03\x04", "prod"} {
			if bytes.Contains(sealed, []byte(clear)) {
				t.Fatalf("the sealed plan shows %q in clear", clear)
			}
		}
		planJob(t, f, sealed)
		r := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod", planKey)), 0)
		if n := plans(r, "prod"); n != 0 || !strings.Contains(r.stderr, "prod: applying the plan reviewed in job plan-prod (#1004) of merge request !1's pipeline #1003, as it is (made against no state, with changes)") {
			t.Fatalf("%d plan phases in the promote job, want the reviewed plan applied:\n%s", n, r)
		}
		if got := w.state(t, "prod")["terraform_data.vm"]; got != id || !strings.Contains(r.stdout, "promoted ") {
			t.Fatalf("prod holds %q, want %q\n%s", got, id, r)
		}
		// Run again: the state moved on since the plan, and nothing is left to change.
		freshWorkspace(t, w)
		again := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod", planKey)), 0)
		if !strings.Contains(again.stderr, "the reviewed plan was not applied (prod's state changed since the plan: it had no state, now serial") ||
			!strings.Contains(again.stderr, "the new plan changes nothing in prod") {
			t.Fatalf("second run:\n%s", again)
		}
	})

	t.Run("changed", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-b", "")), 0) // prod-b already runs the image
		planJob(t, f, gitlabPlan(t, w, f, "prod-b", planKey))                     // a plan without changes
		serial := stateSerial(t, w, "prod-b")
		manualApply(t, w, "prod-b", "local:sha256:manual")
		now := stateSerial(t, w, "prod-b")
		diff := "prod-b's state changed since the plan: serial " + itoa(int(serial)) + " -> " + itoa(int(now))

		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base+"promote:\n  require_reviewed_plan: true\n")
		defer writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-b", planKey)), 8)
		wantExit(t, r, 8, "promotion refused: prod-b gets only the plan reviewed before the merge", diff)
		if got := w.state(t, "prod-b")["terraform_data.vm"]; got != "local:sha256:manual" || plans(r, "prod-b") != 1 {
			t.Fatalf("a refused promotion changed prod-b: %q\n%s", got, r)
		}

		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r = promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-b", planKey)), 0)
		if !strings.Contains(r.stderr, "the reviewed plan cannot be applied ("+diff+"): applying a new plan of prod-b") || plans(r, "prod-b") != 1 {
			t.Fatalf("re-planned promotion:\n%s", r)
		}
		if got := w.state(t, "prod-b")["terraform_data.vm"]; got != id {
			t.Fatalf("prod-b holds %q, want %q", got, id)
		}
	})

	t.Run("tampered or another key", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		sealed := gitlabPlan(t, w, f, "prod-c", planKey)
		tampered := bytes.Clone(sealed)
		tampered[len(tampered)-40] ^= 0x01
		planJob(t, f, tampered)
		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base+"promote:\n  require_reviewed_plan: true\n")
		defer writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-c", planKey)), 8)
		wantExit(t, r, 8, "does not open with KILN_PLAN_KEY (key id", "does not authenticate: altered")

		planJob(t, f, sealed) // a newer pipeline with the plan intact, opened with another key
		r = promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-c", otherKey)), 8)
		wantExit(t, r, 8, "sealed with another key (key id")
		if _, err := os.Stat(filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod-c", "terraform.tfstate")); err == nil && len(w.state(t, "prod-c")) > 0 {
			t.Fatal("a refused promotion deployed prod-c")
		}

		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		planJob(t, f, tampered)
		r = promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-c", planKey)), 0)
		if !strings.Contains(r.stderr, "does not authenticate") || !strings.Contains(r.stderr, "applying a new plan of prod-c") || plans(r, "prod-c") != 1 {
			t.Fatalf("tampered plan, not required:\n%s", r)
		}
		if got := w.state(t, "prod-c")["terraform_data.vm"]; got != id {
			t.Fatalf("prod-c holds %q, want %q", got, id)
		}
	})

	t.Run("plan file of another image", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		gitlabPlan(t, w, f, "prod-d", "") // initializes prod-d's Terraform; seals nothing
		// A plan of another image, sealed in an envelope that names the tested one.
		planJob(t, f, forgedPlan(t, w, "prod-d", "local:sha256:other", id))
		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base+"promote:\n  require_reviewed_plan: true\n")
		defer writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-d", planKey)), 8)
		wantExit(t, r, 8, "it cannot be applied: its variable image_id is local:sha256:other, not the image "+id)
	})

	t.Run("no key", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		r := gitlabPlanRun(t, w, f, "prod-e", "")
		if !strings.Contains(r.stderr, "warning: the plan is not saved to kiln-plan.bin: no key to seal it with: set KILN_PLAN_KEY or promote.plan_key") {
			t.Fatalf("plan job without a key:\n%s", r)
		}
		if _, err := os.Stat(filepath.Join(w.dir, "kiln-plan.bin")); err == nil {
			t.Fatal("a plan was saved without a key")
		}
		planJob(t, f, nil)
		r = promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-e", planKey)), 0)
		if !strings.Contains(r.stderr, "the reviewed plan cannot be applied (no reviewed plan: job plan-prod (#1004) of merge request pipeline #1003 has no artifact kiln-plan.bin") ||
			plans(r, "prod-e") != 1 || w.state(t, "prod-e")["terraform_data.vm"] != id {
			t.Fatalf("promotion without a reviewed plan:\n%s", r)
		}
	})

	t.Run("no key in the promote job", func(t *testing.T) {
		f, _ := stableMerge(t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, tested)
		planJob(t, f, gitlabPlan(t, w, f, "prod-f", planKey))
		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base+"promote:\n  require_reviewed_plan: true\n")
		defer writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r := promoteWith(t, w, gitlabEnv(f, mergeCommit, plannedEnv("prod-f", "")), 8)
		wantExit(t, r, 8, "it cannot be applied: no key to open it: set KILN_PLAN_KEY or promote.plan_key")
		for _, req := range f.Requests() {
			if strings.Contains(req, "/merge_requests/1/pipelines") {
				t.Fatalf("asked GitLab for a plan it could not open: %s", req)
			}
		}
	})
}

// TestReviewedPlanGitHub is TestReviewedPlanGitLab's main cases in GitHub mode: the pull
// request run seals the plan into the kiln-plan artifact; the push to stable applies it
// as it is, or refuses (exit 8) under promote.require_reviewed_plan once the state moved
// on; a run without a key warns, uploads nothing, and the promotion plans again.
func TestReviewedPlanGitHub(t *testing.T) {
	w := testedWorld(t)
	tested := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	id := imageOf(t, tested)
	addEnvironments(t, w, "prod-b", "prod-c")
	base := w.template

	t.Run("unchanged", func(t *testing.T) {
		f, n := githubMerge(t, githubtest.PullRequest{MergeCommitSHA: mergeCommit}, tested)
		pullRequestRun(t, f, githubPlan(t, w, f, "prod", planKey))
		r := promoteWith(t, w, githubEnv(f, mergeCommit, plannedEnv("prod", planKey)), 0)
		githubNoToken(t, f, r)
		if plans(r, "prod") != 0 || !strings.Contains(r.stderr, "prod: applying the plan reviewed in artifact kiln-plan of pull request #1's run 1006, as it is") {
			t.Fatalf("promote run:\n%s", r)
		}
		if got := w.state(t, "prod")["terraform_data.vm"]; got != id || len(f.Comments(n)) != 1 {
			t.Fatalf("prod holds %q, comments %v", got, f.Comments(n))
		}
	})

	t.Run("changed and required", func(t *testing.T) {
		f, _ := githubMerge(t, githubtest.PullRequest{MergeCommitSHA: mergeCommit}, tested)
		pullRequestRun(t, f, githubPlan(t, w, f, "prod-b", planKey)) // against no state
		manualApply(t, w, "prod-b", "local:sha256:manual")
		now := stateSerial(t, w, "prod-b")
		writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base+"promote:\n  require_reviewed_plan: true\n")
		defer writeFile(t, filepath.Join(w.dir, "kiln.yaml"), base)
		r := promoteWith(t, w, githubEnv(f, mergeCommit, plannedEnv("prod-b", planKey)), 8)
		wantExit(t, r, 8, "prod-b's state changed since the plan: it had no state, now serial "+itoa(int(now)))
		if got := w.state(t, "prod-b")["terraform_data.vm"]; got != "local:sha256:manual" {
			t.Fatalf("a refused promotion changed prod-b: %q", got)
		}
	})

	t.Run("no key", func(t *testing.T) {
		f, _ := githubMerge(t, githubtest.PullRequest{MergeCommitSHA: mergeCommit}, tested)
		if sealed := githubPlan(t, w, f, "prod-c", ""); sealed != nil {
			t.Fatal("a plan was saved without a key")
		}
		pullRequestRun(t, f, nil)
		r := promoteWith(t, w, githubEnv(f, mergeCommit, plannedEnv("prod-c", planKey)), 0)
		if !strings.Contains(r.stderr, "(no reviewed plan: pull request run 1006 has no artifact kiln-plan: it did not upload it") ||
			plans(r, "prod-c") != 1 || w.state(t, "prod-c")["terraform_data.vm"] != id {
			t.Fatalf("promotion without a reviewed plan:\n%s", r)
		}
	})
}

// TestReviewedPlanFile: outside a CI API (Jenkins), --dry-run --plan-out seals the plan into
// a 0600 file and --plan applies it as it is; the key shows nowhere.
func TestReviewedPlanFile(t *testing.T) {
	w := testedWorld(t)
	id := imageOf(t, readFile(t, filepath.Join(w.dir, "kiln-image.json")))
	env := map[string]string{"KILN_PLAN_KEY": planKey}
	dry := must(t, w.dir, "promote", env, "--dry-run", "--plan-out", "plan.bin")
	fi, err := os.Stat(filepath.Join(w.dir, "plan.bin"))
	if err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(dry.stderr, "sealed the plan of prod (image "+id+", made against no state) with KILN_PLAN_KEY (key id ") {
		t.Fatalf("sealed plan %v %v:\n%s", fi, err, dry)
	}
	r := must(t, w.dir, "promote", env, "--plan", "plan.bin")
	if plans(r, "prod") != 0 || !strings.Contains(r.stderr, "prod: applying the plan reviewed in the --plan file plan.bin, as it is") ||
		w.state(t, "prod")["terraform_data.vm"] != id {
		t.Fatalf("promotion with --plan:\n%s", r)
	}
	noPlanKey(t, dry)
	noPlanKey(t, r)
	// A malformed key is a usage error, never echoed.
	bad := kiln(t, w.dir, "promote", map[string]string{"KILN_PLAN_KEY": "c2hvcnQ="}, "--dry-run", "--plan-out", "plan.bin")
	wantExit(t, bad, 2, "KILN_PLAN_KEY holds 5 bytes, want 32")
	if strings.Contains(bad.stderr, "c2hvcnQ") {
		t.Fatal("the error shows the malformed key")
	}
}

// plannedEnv is the promote job's variables for environment env with the plan key (""
// for none).
func plannedEnv(env, key string) map[string]string {
	return map[string]string{"KILN_PROMOTE_ENVIRONMENT": env, "KILN_PLAN_KEY": key}
}

// promoteWith runs kiln-promote in a fresh workspace and wants exit code.
func promoteWith(t *testing.T, w *world, env map[string]string, code int) result {
	t.Helper()
	freshWorkspace(t, w)
	r := kiln(t, w.dir, "promote", env)
	if r.code != code {
		t.Fatalf("kiln-promote: want exit %d, got %s", code, r)
	}
	noPlanKey(t, r)
	return r
}

// noPlanKey fails the test if a plan key shows in the run's output, but for the GitHub
// Actions command that asks the runner to mask it.
func noPlanKey(t *testing.T, r result) {
	t.Helper()
	for _, line := range strings.Split(r.stdout+"\n"+r.stderr, "\n") {
		if strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		if strings.Contains(line, planKey) || strings.Contains(line, otherKey) {
			t.Fatalf("the output shows a plan key:\n%s", r)
		}
	}
}

// plans counts the terraform plan phases a run of kiln-promote went through for env: the
// line that closes each phase's log section, in every CI's style.
func plans(r result, env string) int {
	return strings.Count(r.stderr, "kiln-promote: terraform plan ("+env+") done in ")
}

// gitlabPlanRun runs the plan job of merge request !1's pipeline for env, with the plan key
// (none for ""), sealing the plan into kiln-plan.bin.
func gitlabPlanRun(t *testing.T, w *world, f *gitlabtest.Fake, env, key string) result {
	t.Helper()
	os.Remove(filepath.Join(w.dir, "kiln-plan.bin"))
	vars := gitlabEnv(f, sourceSHA, map[string]string{
		"CI_COMMIT_BRANCH":                    "",
		"CI_COMMIT_REF_NAME":                  "master",
		"CI_PIPELINE_SOURCE":                  "merge_request_event",
		"CI_MERGE_REQUEST_IID":                "1",
		"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "master",
		"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "stable",
		"CI_MERGE_REQUEST_PROJECT_URL":        f.WebURL,
		"KILN_PROMOTE_ENVIRONMENT":            env,
		"KILN_PLAN_OUT":                       "kiln-plan.bin",
		"KILN_PLAN_KEY":                       key,
	})
	r := must(t, w.dir, "promote", vars)
	if !strings.Contains(r.stdout, "dry run: "+env+" would") {
		t.Fatalf("plan job:\n%s", r)
	}
	return r
}

// gitlabPlan is gitlabPlanRun returning the sealed plan (nil when none was saved).
func gitlabPlan(t *testing.T, w *world, f *gitlabtest.Fake, env, key string) []byte {
	t.Helper()
	gitlabPlanRun(t, w, f, env, key)
	return sealedPlan(t, w)
}

func sealedPlan(t *testing.T, w *world) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(w.dir, "kiln-plan.bin"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// planJob adds a merge request pipeline of !1 whose plan-prod job keeps plan as
// kiln-plan.bin (nil: the job kept no plan).
func planJob(t *testing.T, f *gitlabtest.Fake, plan []byte) {
	t.Helper()
	p := f.AddPipeline(sourceSHA, mrRef, "success")
	job := f.AddJob(p, "plan-prod", "success", false)
	if plan != nil {
		f.SetArtifact(job, "kiln-plan.bin", plan)
	}
}

// githubPlan runs kiln-promote in the pull_request run of #1 for env, with the plan key
// (none for ""), and returns the sealed plan (nil when none was saved).
func githubPlan(t *testing.T, w *world, f *githubtest.Fake, env, key string) []byte {
	t.Helper()
	os.Remove(filepath.Join(w.dir, "kiln-plan.bin"))
	event := filepath.Join(t.TempDir(), "event.json")
	payload, _ := json.Marshal(map[string]any{"action": "synchronize", "number": 1,
		"pull_request": map[string]any{"number": 1, "head": map[string]any{"ref": "master", "sha": sourceSHA}}})
	writeFile(t, event, string(payload))
	r := must(t, w.dir, "promote", githubEnv(f, testMerge, map[string]string{
		"GITHUB_EVENT_NAME":        "pull_request",
		"GITHUB_EVENT_PATH":        event,
		"GITHUB_REF":               "refs/pull/1/merge",
		"GITHUB_REF_NAME":          "1/merge",
		"GITHUB_HEAD_REF":          "master",
		"GITHUB_BASE_REF":          "stable",
		"GITHUB_WORKFLOW_REF":      "acme/web/" + callerWorkflow + "@refs/pull/1/merge",
		"KILN_PROMOTE_ENVIRONMENT": env,
		"KILN_PLAN_OUT":            "kiln-plan.bin",
		"KILN_PLAN_KEY":            key,
	}))
	if !strings.Contains(r.stdout, "dry run: "+env+" would") {
		t.Fatalf("pull request run:\n%s", r)
	}
	return sealedPlan(t, w)
}

// pullRequestRun adds the pull_request run of #1's head, whose plan-prod job uploaded plan
// as kiln-plan.bin in the kiln-plan artifact (nil: nothing uploaded).
func pullRequestRun(t *testing.T, f *githubtest.Fake, plan []byte) {
	t.Helper()
	run := f.AddRun(callerWorkflow, "pull_request", "master", sourceSHA, "success")
	f.SetRunPullRequests(run, 1)
	f.AddJob(run, "kiln / plan-prod", "success", false)
	if plan != nil {
		f.AddArtifact(t, run, "kiln-plan", map[string][]byte{"kiln-plan.bin": plan})
	}
}

// tfEnv is Terraform's environment for env's workspace and data directory, as kiln sets
// them up: what a person applying by hand in the same place would have.
func tfEnv(w *world, env string) []string {
	return []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + filepath.Join(w.dir, ".home"), "TF_IN_AUTOMATION=1",
		"TF_DATA_DIR=" + filepath.Join(w.dir, ".kiln", "terraform", env), "TF_WORKSPACE=" + env}
}

// manualApply applies env's configuration with another image by hand, behind kiln's back:
// the state's serial moves on.
func manualApply(t *testing.T, w *world, env, image string) {
	t.Helper()
	cmd := exec.Command(terraform, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "image_id="+image, "-var", "port=1")
	cmd.Dir = filepath.Join(w.dir, "terraform")
	cmd.Env = tfEnv(w, env)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform apply in %s: %v\n%s", env, err, out)
	}
}

// forgedPlan plans env by hand with image and seals that plan in an envelope that names
// claimed instead, as someone holding the key could.
func forgedPlan(t *testing.T, w *world, env, image, claimed string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "forged.tfplan")
	cmd := exec.Command(terraform, "plan", "-input=false", "-no-color", "-out", out, "-var", "image_id="+image, "-var", "port=1")
	cmd.Dir = filepath.Join(w.dir, "terraform")
	cmd.Env = tfEnv(w, env)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform plan in %s: %v\n%s", env, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := tf.ReadSavedPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	key, err := planfile.ParseKey(planKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := planfile.Seal(context.Background(), key, planfile.Envelope{ImageID: claimed, Environment: env,
		StateLineage: saved.Lineage, StateSerial: saved.Serial, Plan: data})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// stateSerial reads env's state serial from Terraform's own state file.
func stateSerial(t *testing.T, w *world, env string) int64 {
	t.Helper()
	var st struct {
		Serial int64 `json:"serial"`
	}
	path := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", env, "terraform.tfstate")
	if err := json.Unmarshal([]byte(readFile(t, path)), &st); err != nil {
		t.Fatal(err)
	}
	return st.Serial
}

package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/github/githubtest"
)

// TestReviewedPlan downloads the kiln-plan artifact of the newest pull_request run of the
// workflow for the pull request's head, and says why there is none otherwise.
func TestReviewedPlan(t *testing.T) {
	plan := func(t *testing.T, w *world, run int64, data string) {
		w.fake.AddArtifact(t, run, "kiln-plan", map[string][]byte{"kiln-plan.bin": []byte(data)})
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *world)
		data  string // want this plan
		none  string // or a *NoPlan starting with this
		code  int    // or this exit code
	}{
		{name: "newest pull request run", data: "sealed-2", setup: func(t *testing.T, w *world) {
			plan(t, w, w.fake.AddRun(workflow, "pull_request", "master", head, "success"), "sealed-1")
			run := w.fake.AddRun(workflow, "pull_request", "master", head, "failure") // validate failed; plan-prod passed
			w.fake.SetRunPullRequests(run, w.number)
			plan(t, w, run, "sealed-2")
			plan(t, w, w.fake.AddRun(".github/workflows/other.yml", "pull_request", "master", head, "success"), "other workflow")
			plan(t, w, w.fake.AddRun(workflow, "pull_request", "master", otherSHA, "success"), "other head")
		}},
		{name: "another pull request's run", data: "sealed-1", setup: func(t *testing.T, w *world) {
			plan(t, w, w.fake.AddRun(workflow, "pull_request", "master", head, "success"), "sealed-1")
			// The same head in a newer pull request to another branch: its run lists that one only.
			n := w.fake.AddPullRequest(githubtest.PullRequest{State: "open", Head: "master", Base: "release-2", HeadSHA: head})
			run := w.fake.AddRun(workflow, "pull_request", "master", head, "success")
			w.fake.SetRunPullRequests(run, n)
			plan(t, w, run, "another pull request's plan")
		}},
		{name: "no pull request run", none: "pull request #1 has no pull_request run of .github/workflows/kiln.yml for its head 0a0a0a0a0a0a"},
		{name: "no artifact", none: "pull request run 1006 has no artifact kiln-plan: it did not upload it", setup: func(t *testing.T, w *world) {
			w.fake.AddRun(workflow, "pull_request", "master", head, "success")
		}},
		{name: "expired", none: "pull request run 1006 has no artifact kiln-plan: it kept it, but it expired", setup: func(t *testing.T, w *world) {
			w.fake.ExpireArtifact(w.fake.AddArtifact(t, w.fake.AddRun(workflow, "pull_request", "master", head, "success"), "kiln-plan",
				map[string][]byte{"kiln-plan.bin": []byte("x")}))
		}},
		{name: "no file in it", none: "artifact kiln-plan of run 1006 has no kiln-plan.bin (it holds plan.bin; set --github-plan-artifact)",
			setup: func(t *testing.T, w *world) {
				w.fake.AddArtifact(t, w.fake.AddRun(workflow, "pull_request", "master", head, "success"), "kiln-plan",
					map[string][]byte{"plan.bin": []byte("x")})
			}},
		{name: "too large", none: "kiln-plan.bin in artifact kiln-plan of run 1006: 17 bytes is more than the 16 a sealed plan may have",
			setup: func(t *testing.T, w *world) {
				plan(t, w, w.fake.AddRun(workflow, "pull_request", "master", head, "success"), strings.Repeat("x", 17))
			}},
		{name: "token refused", code: exitcode.Usage, setup: func(t *testing.T, w *world) { w.fake.Fail("/actions/runs", 403) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := happy(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			pr := &PullRequest{Number: w.number, Head: "master", Base: "stable", HeadSHA: head}
			p, err := w.client(t).ReviewedPlan(context.Background(), pr, workflow, "kiln-plan", "kiln-plan.bin", 16)
			var none *NoPlan
			switch {
			case tc.data != "":
				if err != nil || string(p.Data) != tc.data {
					t.Fatalf("ReviewedPlan = %+v, %v; want %q", p, err, tc.data)
				}
			case tc.none != "":
				if !errors.As(err, &none) || !strings.HasPrefix(none.Reason, tc.none) {
					t.Fatalf("ReviewedPlan: %v\nwant: %s", err, tc.none)
				}
			default:
				if errors.As(err, &none) || exitcode.Of(err) != tc.code {
					t.Fatalf("ReviewedPlan: %v (exit %d), want exit %d", err, exitcode.Of(err), tc.code)
				}
			}
		})
	}
}

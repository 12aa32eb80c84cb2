package gitlab

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// TestReviewedPlan downloads the plan job's artifact from the newest merge request
// pipeline that ran it, and says why there is none otherwise.
func TestReviewedPlan(t *testing.T) {
	const mrRef = "refs/merge-requests/1/head"
	for _, tc := range []struct {
		name  string
		setup func(w *world) // besides the happy world
		data  string         // want this plan
		none  string         // or a *NoPlan with this
		code  int            // or this exit code
	}{
		{name: "merge request pipeline", data: "sealed-2", setup: func(w *world) {
			p := w.fake.AddPipeline(head, mrRef, "success")
			w.fake.SetArtifact(w.fake.AddJob(p, "plan-prod", "success", false), "kiln-plan.bin", []byte("sealed-1"))
			p = w.fake.AddPipeline(head, "refs/merge-requests/1/merge", "success")
			w.fake.AddJob(p, "plan-prod", "failed", true) // an earlier attempt
			w.fake.SetArtifact(w.fake.AddJob(p, "plan-prod", "success", false), "kiln-plan.bin", []byte("sealed-2"))
			w.fake.AddPipeline(head, "master", "success") // a branch pipeline: listed, never used
		}},
		{name: "newest with the job", data: "sealed-1", setup: func(w *world) {
			p := w.fake.AddPipeline(head, mrRef, "success")
			w.fake.SetArtifact(w.fake.AddJob(p, "plan-prod", "success", false), "kiln-plan.bin", []byte("sealed-1"))
			w.fake.AddJob(w.fake.AddPipeline(head, mrRef, "success"), "validate", "success", false)
		}},
		{name: "no merge request pipeline", none: "merge request !1 has no merge request pipeline"},
		{name: "other merge request's pipeline", none: "merge request !1 has no merge request pipeline", setup: func(w *world) {
			p := w.fake.AddPipeline(head, "refs/merge-requests/12/head", "success")
			w.fake.SetArtifact(w.fake.AddJob(p, "plan-prod", "success", false), "kiln-plan.bin", []byte("sealed"))
		}},
		{name: "no plan job", none: "no merge request pipeline of !1 has a job plan-prod", setup: func(w *world) {
			w.fake.AddJob(w.fake.AddPipeline(head, mrRef, "success"), "validate", "success", false)
		}},
		{name: "failed plan job", none: "job plan-prod (#1005) of merge request pipeline #1004 is failed", setup: func(w *world) {
			w.fake.AddJob(w.fake.AddPipeline(head, mrRef, "failed"), "plan-prod", "failed", false)
		}},
		{name: "no artifact", none: "job plan-prod (#1005) of merge request pipeline #1004 has no artifact kiln-plan.bin", setup: func(w *world) {
			w.fake.AddJob(w.fake.AddPipeline(head, mrRef, "success"), "plan-prod", "success", false)
		}},
		{name: "too large", none: "kiln-plan.bin of job plan-prod (#1005) is larger than 16 bytes", setup: func(w *world) {
			p := w.fake.AddPipeline(head, mrRef, "success")
			w.fake.SetArtifact(w.fake.AddJob(p, "plan-prod", "success", false), "kiln-plan.bin", []byte(strings.Repeat("x", 17)))
		}},
		{name: "token refused", code: exitcode.Usage, setup: func(w *world) { w.fake.Fail("/merge_requests/1/pipelines", 403) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := happy(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			mr := &MergeRequest{IID: w.iid, SHA: head}
			p, err := w.client(t).ReviewedPlan(context.Background(), mr, "plan-prod", "kiln-plan.bin", 16)
			var none *NoPlan
			switch {
			case tc.data != "":
				if err != nil || string(p.Data) != tc.data || p.Job.Name != "plan-prod" {
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

// Package promote is kiln-promote: it refuses any record whose tests did not pass for its
// exact image id, applies the promote environment (prod) with that id, moves the family
// pointer, and records the promotion. Running it again changes nothing.
//
// The record comes from the --record file (file mode) or, in GitLab mode, from the GitLab
// API: the test job artifacts of the promote.from pipeline of the merge request whose merge
// made the commit the promote.to pipeline runs for (see gitlab.go); in GitHub mode, from
// the GitHub API: the artifact of the promote.from push run that tested the head of the
// pull request whose merge made the commit (see github.go).
package promote

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-promote.
type Step struct{}

func (Step) Name() string   { return "promote" }
func (Step) String() string { return "promoting the tested image" }
func (Step) Description() string {
	return "Promotes the very image that was tested: applies the promote environment (prod) with the\n" +
		"record's exact image id and moves the family pointer, only if the promotion gate passes\n" +
		"(docs/gate.md), else exit 8. The record comes from --record or, in CI, from the GitLab or\n" +
		"GitHub API (the tested run of the merged merge/pull request); a merge request only plans."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-promote --record kiln-image.json --source file",
		"kiln-promote                     # in CI on promote.to: the tested record of the merge",
		"kiln-promote --dry-run --plan-report plan.json"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Promotes the very image that was tested: refuses (exit 8) unless the promotion gate passes\n" +
		"(see docs/gate.md: tests passed for the exact image id, in\n" +
		"test.environment, with kiln.yaml's test block, bound to the deployment's Terraform state,\n" +
		"signed when kiln.yaml has an attest block; the image in the registry, intact, not OBSOLETE;\n" +
		"the family pointer moving forward), applies the promote environment (promote.environment,\n" +
		"default prod) with that id, moves the image family's pointer to it and records the promotion.\n" +
		"A second run with nothing to change is a no-op. In a CI job on promote.to, a record from a\n" +
		"file (--source file) needs a verified attestation (an attest block) and must be of the commit\n" +
		"the job built (or, for a merge commit, merged).\n\n" + gitlabHelp + "\n\n" + githubHelp
}

func (Step) Flags() []step.Flag {
	flags := []step.Flag{
		deployment.PromoteEnvironmentFlag,
		sourceFlag,
		{Name: "gitlab-test-job", Env: "KILN_GITLAB_TEST_JOB", More: true, Help: "GitLab mode: the job whose artifacts hold the record (default promote.gitlab.test_job, test)"},
		{Name: "gitlab-artifact", Env: "KILN_GITLAB_ARTIFACT", More: true, Help: "GitLab mode: the record's path in those artifacts (default promote.gitlab.artifact_path, kiln-image.json)"},
	}
	flags = append(append(flags, githubFlags...), reviewedFlags...)
	return append(flags, step.DryRun, deployment.PlanReportFlag)
}
func (Step) EnvVars() []string {
	return []string{"KILN_REGISTRY_PATH  the local registry's directory (overrides registry.path)",
		"CI_*, KILN_GITLAB_TOKEN, GITHUB_*, KILN_GITHUB_TOKEN   GitLab and GitHub modes (docs/cli.md)"}
}

// DocEnvVars are every variable the step reads, for docs/cli.md.
func (Step) DocEnvVars() []string {
	vars := append([]string{"KILN_REGISTRY_PATH  the local registry's directory (overrides registry.path)"}, gitlabEnvVars...)
	return append(append(vars, githubEnvVars...), reviewedEnvVars...)
}

// Run promotes the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	if err := planFlags(r); err != nil {
		return err
	}
	switch src, err := recordSource(r); {
	case err != nil:
		return err
	case src == sourceGitLab:
		return runGitLab(ctx, r)
	case src == sourceGitHub:
		return runGitHub(ctx, r)
	}
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	if err := fileModeAllowed(ctx, r, rec); err != nil {
		return err
	}
	_, err = promote(ctx, r, rec, "", r.Opts.Bool("dry-run"), nil)
	return err
}

// promote gates rec, applies the environment with its image, moves the family pointer,
// keeps the attestation in the registry (for kiln-rollback) and records the promotion (with
// the merge request's URL, when there is one). It reports whether the promotion is in
// place; under dryRun it only plans, and reports false. reviewed is where the plan reviewed
// before the merge is (reviewed.go), nil when there is none to look for.
func promote(ctx context.Context, r *step.Run, rec *record.Record, mergeRequest string, dryRun bool, reviewed reviewSource) (bool, error) {
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return false, err
	}
	verify, err := gate.Verifier(r.Config, r.Vault)
	if err != nil {
		return false, err
	}
	if verify == nil {
		r.Logf("warning: kiln.yaml has no attest block: records are only tamper-evident, and anyone who can write one can forge its tests")
	}
	g := gate.Gate{Config: r.Config, Registry: reg, Verify: verify, Warn: r.Logf, Now: r.Env.Now}
	if err := g.Promotion(ctx, rec); err != nil {
		return false, err
	}
	img, err := deployment.Resolve(ctx, r, rec.Image.ID)
	if err != nil {
		return false, err
	}
	env := deployment.PromoteEnvironment(r)
	if !r.Config.Promote.Strategy.IsReplace() { // blue-green, canary: strategy.go
		return promoteStrategy(ctx, r, reg, rec, img, env, mergeRequest, dryRun)
	}
	if !rec.Promotion.Done() {
		rec.Promotion = nil // a rolled back rollout is no earlier promotion of this image
	}
	opts := deployment.Options{DryRun: dryRun, PlanReport: r.Path(r.Opts.Get("plan-report")), Promote: true}
	res, done, err := applyReviewed(ctx, r, rec, env, img, &opts, reviewed) // the reviewed plan: reviewed.go
	if err != nil {
		return false, err
	}
	if !done {
		if res, err = deployment.Apply(ctx, r, env, img, opts); err != nil {
			return false, err
		}
	}
	if res.Deployment == nil {
		fmt.Fprintf(r.Out, "dry run: %s would %s\n", env, map[bool]string{true: "change", false: "not change"}[res.Changed])
		return false, nil
	}
	previous, err := reg.Point(ctx, rec.Image.Family, rec.Image.ID, env, r.Env.Now().UTC())
	if err != nil {
		return false, err
	}
	moved := previous != rec.Image.ID
	if err := keepAttestation(ctx, reg, rec); err != nil {
		return false, err
	}
	again := rec.Promotion != nil && rec.Promotion.ImageID == rec.Image.ID && rec.Promotion.Environment == env
	if again && !res.Changed && !moved {
		fmt.Fprintf(r.Out, "already promoted: %s is %s's image in %s; nothing changed\n", rec.Image.ID, rec.Image.Family, env)
		return true, nil
	}
	rec.SetDeployment(*res.Deployment)
	if !again {
		if !moved {
			previous = "" // the family already pointed here: an earlier run moved it
		}
		rec.Promotion = &record.Promotion{Environment: env, ImageID: rec.Image.ID, Family: rec.Image.Family,
			PreviousImageID: previous, From: r.Config.Promote.From, To: r.Config.Promote.To,
			MergeRequest: mergeRequest, At: r.Env.Now().UTC()}
	}
	if err := r.Publish(rec); err != nil {
		return false, err
	}
	fmt.Fprintf(r.Out, "promoted %s (%s) to %s; family %s now points to it\n", rec.Image.Name, rec.Image.ID, env, rec.Image.Family)
	return true, nil
}

// keepAttestation stores the record's attestation in a registry that keeps them, so that
// kiln-rollback can verify the image when it returns to it.
func keepAttestation(ctx context.Context, reg registry.Registry, rec *record.Record) error {
	store, ok := reg.(registry.Attestations)
	if !ok || rec.Tests == nil || rec.Tests.Attestation == nil {
		return nil
	}
	b, err := json.Marshal(rec.Tests.Attestation)
	if err != nil {
		return err
	}
	return store.PutAttestation(ctx, rec.Image.ID, b)
}

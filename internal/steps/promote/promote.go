// Package promote is kiln-promote: it refuses any record whose tests did not pass for its
// exact image id, applies the promote environment (prod) with that id, moves the family
// pointer, and records the promotion. Running it again changes nothing.
//
// The record comes from the --record file (file mode) or, in GitLab mode, from the GitLab
// API: the test job artifacts of the promote.from pipeline of the merge request whose merge
// made the commit the promote.to pipeline runs for (see gitlab.go).
package promote

import (
	"context"
	"fmt"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/deploy"
)

// Step is kiln-promote.
type Step struct{}

func (Step) Name() string   { return "promote" }
func (Step) String() string { return "promoting the tested image" }
func (Step) Description() string {
	return "Promotes the very image that was tested: refuses (exit 8) unless the record's tests passed\n" +
		"for its exact image id, applies the promote environment (promote.environment, default prod)\n" +
		"with that id, moves the image family's pointer to it and records the promotion. A second run\n" +
		"with nothing to change is a no-op.\n\n" + gitlabHelp
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "environment", Env: "KILN_PROMOTE_ENVIRONMENT", Help: "the environment to promote to (default promote.environment)"},
		sourceFlag,
		{Name: "gitlab-test-job", Env: "KILN_GITLAB_TEST_JOB", Help: "GitLab mode: the job whose artifacts hold the record (default promote.gitlab.test_job, test)"},
		{Name: "gitlab-artifact", Env: "KILN_GITLAB_ARTIFACT", Help: "GitLab mode: the record's path in those artifacts (default promote.gitlab.artifact_path, kiln-image.json)"},
		step.DryRun,
		deploy.PlanReportFlag,
	}
}
func (Step) EnvVars() []string {
	return append([]string{"KILN_REGISTRY_PATH  the local registry's directory (overrides registry.path)"}, gitlabEnvVars...)
}

// Run promotes the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	on, err := gitlabMode(r)
	if err != nil {
		return err
	}
	if on {
		return runGitLab(ctx, r)
	}
	rec, err := r.ReadRecord()
	if err != nil {
		return err
	}
	_, err = promote(ctx, r, rec, "")
	return err
}

// environment is the environment to promote to: --environment, else promote.environment.
func environment(r *step.Run) string {
	if env := r.Opts.Get("environment"); env != "" {
		return env
	}
	return r.Config.Promote.Environment
}

// promote gates rec, applies the environment with its image, moves the family pointer and
// records the promotion (with the merge request's URL, when there is one). It reports
// whether the promotion is in place; under --dry-run it only plans, and reports false.
func promote(ctx context.Context, r *step.Run, rec *record.Record, mergeRequest string) (bool, error) {
	if err := rec.TestedOK(); err != nil {
		return false, exitcode.Wrap(exitcode.PromotionRefused, fmt.Errorf("promotion refused: %w", err))
	}
	if err := deploy.CheckImage(r, rec); err != nil {
		return false, err
	}
	env := environment(r)
	d, changed, err := deploy.Apply(ctx, r, env, rec.Image.ID)
	if err != nil || d == nil {
		return false, err
	}
	previous, moved, err := moveFamily(ctx, r, rec, env)
	if err != nil {
		return false, err
	}
	again := rec.Promotion != nil && rec.Promotion.ImageID == rec.Image.ID && rec.Promotion.Environment == env
	if again && !changed && !moved {
		fmt.Fprintf(r.Out, "already promoted: %s is %s's image in %s; nothing changed\n", rec.Image.ID, rec.Image.Family, env)
		return true, nil
	}
	rec.SetDeployment(*d)
	if !again {
		if !moved {
			previous = "" // the family already pointed here: an earlier run moved it
		}
		rec.Promotion = &record.Promotion{Environment: env, ImageID: rec.Image.ID, Family: rec.Image.Family,
			PreviousImageID: previous, From: r.Config.Promote.From, To: r.Config.Promote.To,
			MergeRequest: mergeRequest, At: r.Env.Now().UTC()}
	}
	if err := r.Publish(rec, deploy.OutputVars(env, d.Outputs)); err != nil {
		return false, err
	}
	fmt.Fprintf(r.Out, "promoted %s (%s) to %s; family %s now points to it\n", rec.Image.Name, rec.Image.ID, env, rec.Image.Family)
	return true, nil
}

// moveFamily points the image's family at it in the registry kiln.yaml names (local, gcp
// or aws); it returns the image the family pointed to before and whether it moved.
func moveFamily(ctx context.Context, r *step.Run, rec *record.Record, env string) (string, bool, error) {
	reg, err := r.ImageRegistry(ctx)
	if err != nil {
		return "", false, err
	}
	previous, err := reg.Point(ctx, rec.Image.Family, rec.Image.ID, env, r.Env.Now().UTC())
	if err != nil {
		return "", false, err
	}
	return previous, previous != rec.Image.ID, nil
}

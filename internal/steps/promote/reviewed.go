package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/github"
	"github.com/kiln-ci/kiln/internal/gitlab"
	"github.com/kiln-ci/kiln/internal/planfile"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// The reviewed plan (docs/reviewed-plan.md): a plan-only run (--dry-run, a merge or pull
// request pipeline) seals its plan into --plan-out; the promotion after the merge applies
// that very plan when it still applies as reviewed, and otherwise plans again and applies
// (promote.require_reviewed_plan false, with one line saying why) or refuses (true, exit 8).

// planFileName is the sealed plan's file name in the plan job's artifacts.
const planFileName = "kiln-plan.bin"

// reviewedFlags are the reviewed plan's flags.
var reviewedFlags = []step.Flag{
	{Name: "plan-out", Env: "KILN_PLAN_OUT", More: true, Help: "in a plan-only run, seal the plan into this file for the promotion after the merge (key: $KILN_PLAN_KEY or promote.plan_key)"},
	{Name: "plan", Env: "KILN_PLAN", More: true, Help: "apply this sealed plan (--plan-out) instead of planning again, when it still applies as reviewed"},
	{Name: "gitlab-plan-job", Env: "KILN_GITLAB_PLAN_JOB", Default: "plan-prod", More: true, Help: "GitLab mode: the merge request pipeline's job that sealed the plan"},
	{Name: "gitlab-plan-artifact", Env: "KILN_GITLAB_PLAN_ARTIFACT", Default: planFileName, More: true, Help: "GitLab mode: the sealed plan's path in that job's artifacts"},
	{Name: "github-plan-artifact", Env: "KILN_GITHUB_PLAN_ARTIFACT", Default: "kiln-plan", More: true, Help: "GitHub mode: the pull request run's artifact holding " + planFileName},
}

// reviewedEnvVars are listed in docs/cli.md.
var reviewedEnvVars = []string{
	"KILN_PLAN_KEY  the key that seals the reviewed plan: 32 bytes, base64 (openssl rand -base64 32), never logged",
}

// reviewed is a sealed plan as a reviewSource found it: its bytes and where it is, or why
// there is none.
type reviewed struct {
	data    []byte
	where   string
	missing string
}

// reviewSource fetches the sealed plan reviewed before the merge; an error is a failure to
// ask (an API's), not a missing plan.
type reviewSource func(ctx context.Context) (reviewed, error)

// applyReviewed is kiln-promote's reviewed-plan branch, taken before the plain apply: in a
// plan-only run it has the plan sealed (o.Keep); on promote.to it applies the reviewed plan
// from src when it can (true: done, res is the apply's) and otherwise sets o.Approve, which
// lets the new plan through with one line or refuses it (exit 8) under
// promote.require_reviewed_plan. A nil src is a promotion without a reviewed plan to look for.
func applyReviewed(ctx context.Context, r *step.Run, rec *record.Record, env string, img environment.Image,
	o *deployment.Options, src reviewSource) (deployment.Result, bool, error) {
	if o.DryRun {
		return deployment.Result{}, false, keepPlan(ctx, r, rec, env, o)
	}
	if out := r.Opts.Get("plan-out"); out != "" {
		r.Logf("warning: %s: only a plan-only run (--dry-run, or a merge or pull request pipeline) seals its plan", r.Opts.Given("plan-out"))
	}
	if p := r.Opts.Get("plan"); p != "" {
		src = fileSource(r, p)
	}
	require := r.Config.Promote.RequireReviewedPlan
	if src == nil && !require {
		return deployment.Result{}, false, nil
	}
	why := "no reviewed plan: give the sealed plan with --plan FILE"
	if src != nil {
		rv, reason, err := openReviewed(ctx, r, rec, env, src)
		switch {
		case err != nil && (require || exitcode.Of(err) == exitcode.Usage):
			return deployment.Result{}, false, err
		case err != nil:
			reason = err.Error() // the API or Vault failed: plan again, and say so
		case reason == "":
			res, err := deployment.ApplyReviewed(ctx, r, env, img, rv, *o)
			var un *deployment.Unusable
			if !errors.As(err, &un) {
				return res, err == nil, err
			}
			reason = un.Reason
		}
		why = reason
	}
	o.Approve = approveNew(r, env, why, require)
	return deployment.Result{}, false, nil
}

// approveNew lets the new plan of env through, saying why the reviewed one was not
// applied; under promote.require_reviewed_plan it refuses (exit 8) a new plan that changes
// anything.
func approveNew(r *step.Run, env, why string, require bool) func(bool) error {
	return func(changes bool) error {
		switch {
		case !changes:
			r.Logf("the reviewed plan was not applied (%s); the new plan changes nothing in %s", why, env)
			return nil
		case require:
			return exitcode.New(exitcode.PromotionRefused, "promotion refused: %s gets only the plan reviewed before the merge "+
				"(promote.require_reviewed_plan), and it cannot be applied: %s; the new plan above would change %s "+
				"(run the merge request's plan job again to review it, then this job)", env, why, env)
		}
		r.Logf("the reviewed plan cannot be applied (%s): applying a new plan of %s", why, env)
		return nil
	}
}

// openReviewed fetches the sealed plan, opens it and checks that it is of this image and
// environment. A plan that cannot be used returns the reason; a failure to fetch or to
// reach the key (Vault), an error.
func openReviewed(ctx context.Context, r *step.Run, rec *record.Record, env string, src reviewSource) (deployment.Reviewed, string, error) {
	var rv deployment.Reviewed
	key, err := planKey(r)
	if err != nil {
		return rv, "", err
	}
	if key == nil {
		return rv, "no key to open it: set " + planfile.EnvKey + " or promote.plan_key", nil
	}
	got, err := src(ctx)
	if err != nil || got.missing != "" {
		return rv, "no reviewed plan: " + got.missing, err
	}
	e, err := planfile.Open(ctx, key, got.data)
	if errors.Is(err, planfile.ErrNotSealed) || errors.Is(err, planfile.ErrOtherKey) || errors.Is(err, planfile.ErrAltered) {
		return rv, fmt.Sprintf("the plan from %s does not open with %s: %v", got.where, key, err), nil
	}
	if err != nil {
		return rv, "", gate.VaultCode(err)
	}
	switch {
	case e.Environment != env:
		return rv, fmt.Sprintf("the plan from %s is of environment %s, not %s", got.where, e.Environment, env), nil
	case e.ImageID != rec.Image.ID:
		return rv, fmt.Sprintf("the plan from %s deploys image %s, not the tested %s", got.where, e.ImageID, rec.Image.ID), nil
	}
	rv.Plan = deployment.Plan{File: e.Plan, Lineage: e.StateLineage, Serial: e.StateSerial}
	rv.Where = got.where
	return rv, "", nil
}

// keepPlan has Apply seal the plan into --plan-out, when it is given: with the key, or not
// at all (one warning line; a plan is never written in clear).
func keepPlan(ctx context.Context, r *step.Run, rec *record.Record, env string, o *deployment.Options) error {
	out := r.Opts.Get("plan-out")
	if out == "" {
		return nil
	}
	path := r.Path(out)
	key, err := planKey(r)
	if err != nil {
		return err
	}
	why := ""
	switch {
	case key == nil:
		why = "no key to seal it with: set " + planfile.EnvKey + " or promote.plan_key"
	case leased(r.Config) != "":
		why = leased(r.Config)
	}
	if why != "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove the earlier sealed plan: %w", err)
		}
		r.Logf("warning: the plan is not saved to %s: %s; the promotion will plan again", out, why)
		return nil
	}
	o.Keep = func(ctx context.Context, p deployment.Plan) error {
		sealed, err := planfile.Seal(ctx, key, planfile.Envelope{ImageID: rec.Image.ID, Environment: env,
			StateLineage: p.Lineage, StateSerial: p.Serial, Plan: p.File})
		if err != nil {
			return gate.VaultCode(err)
		}
		if err := atomicfile.Write(path, sealed, 0o600); err != nil {
			return fmt.Errorf("write the sealed plan: %w", err)
		}
		state := "no state"
		if p.Lineage != "" || p.Serial != 0 {
			state = fmt.Sprintf("state serial %d", p.Serial)
		}
		r.Logf("sealed the plan of %s (image %s, made against %s) with %s into %s", env, rec.Image.ID, state, key, out)
		return nil
	}
	return nil
}

// planKey is the key that seals reviewed plans: promote.plan_key's Vault transit key, else
// KILN_PLAN_KEY; nil when neither is set. A key that cannot work is exit 2.
func planKey(r *step.Run) (planfile.Key, error) {
	if mount, name := r.Config.Promote.PlanTransitKey(); name != "" {
		if r.Vault == nil {
			return nil, exitcode.New(exitcode.Usage, "promote.plan_key: kiln-promote has no Vault login to use transit key %s/%s with (check the vault block)", mount, name)
		}
		return planfile.Transit(r.Vault, mount, name), nil
	}
	s := r.Lookup(planfile.EnvKey)
	if s == "" {
		return nil, nil
	}
	r.Secret(strings.TrimSpace(s))
	k, err := planfile.ParseKey(s)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	return k, nil
}

// leased says why a plan of this kiln.yaml cannot wait for the merge: a dynamic secret
// mapped to kiln-promote as a Terraform variable is in the plan, and its lease ends with the
// job that made it. "" when there is none.
func leased(c *config.Config) string {
	if c.Vault == nil {
		return ""
	}
	for _, s := range c.Vault.Secrets {
		tfVar := s.TFVar != "" || strings.HasPrefix(s.Env, "TF_VAR_") || strings.HasPrefix(s.EnvPrefix, "TF_VAR_")
		if s.Engine == config.EngineDynamic && tfVar && promotes(s.Steps) {
			return fmt.Sprintf("it would hold the dynamic secret %s as a Terraform variable, whose lease ends with this job", s.Path)
		}
	}
	return ""
}

func promotes(steps []string) bool {
	for _, s := range steps {
		if s == "promote" {
			return true
		}
	}
	return false
}

// fileSource is the --plan file: a plan sealed by an earlier plan-only run (Jenkins, tests).
func fileSource(r *step.Run, p string) reviewSource {
	return func(context.Context) (reviewed, error) {
		path := r.Path(p)
		where := "the --plan file " + p
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			return reviewed{where: where, missing: where + " does not exist"}, nil
		}
		if err != nil {
			return reviewed{}, exitcode.New(exitcode.Usage, "--plan: %w", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, planfile.MaxSize+1))
		if err != nil {
			return reviewed{}, fmt.Errorf("--plan: %w", err)
		}
		return reviewed{data: data, where: where}, nil
	}
}

// gitlabSource is the sealed plan of the merge request's pipeline (GitLab mode).
func gitlabSource(r *step.Run, c *gitlab.Client, mr *gitlab.MergeRequest) reviewSource {
	return func(ctx context.Context) (reviewed, error) {
		job, path := r.Opts.Get("gitlab-plan-job"), r.Opts.Get("gitlab-plan-artifact")
		p, err := c.ReviewedPlan(ctx, mr, job, path, planfile.MaxSize)
		var none *gitlab.NoPlan
		if errors.As(err, &none) {
			return reviewed{missing: none.Reason}, nil
		}
		if err != nil {
			return reviewed{}, err
		}
		return reviewed{data: p.Data, where: fmt.Sprintf("job %s (#%d) of merge request !%d's pipeline #%d", p.Job.Name, p.Job.ID, mr.IID, p.Pipeline.ID)}, nil
	}
}

// githubSource is the sealed plan of the pull request's run (GitHub mode).
func githubSource(r *step.Run, c *github.Client, pr *github.PullRequest, workflow string) reviewSource {
	return func(ctx context.Context) (reviewed, error) {
		p, err := c.ReviewedPlan(ctx, pr, workflow, r.Opts.Get("github-plan-artifact"), planFileName, planfile.MaxSize)
		var none *github.NoPlan
		if errors.As(err, &none) {
			return reviewed{missing: none.Reason}, nil
		}
		if err != nil {
			return reviewed{}, err
		}
		return reviewed{data: p.Data, where: fmt.Sprintf("artifact %s of pull request #%d's run %d", p.Artifact.Name, pr.Number, p.Run.ID)}, nil
	}
}

// planFlags checks the reviewed plan's flags that name things in a CI's API.
func planFlags(r *step.Run) error {
	if p := config.JobNameProblem(r.Opts.Get("gitlab-plan-job")); p != "" {
		return step.UsageError("%s %s", r.Opts.Given("gitlab-plan-job"), p)
	}
	if p := config.ArtifactPathProblem(r.Opts.Get("gitlab-plan-artifact")); p != "" {
		return step.UsageError("%s %s", r.Opts.Given("gitlab-plan-artifact"), p)
	}
	if a := r.Opts.Get("github-plan-artifact"); strings.TrimSpace(a) == "" || strings.ContainsAny(a, "\":<>|*?\\/\r\n") {
		return step.UsageError("%s: want an artifact name without \" : < > | * ? \\ / or line breaks", r.Opts.Given("github-plan-artifact"))
	}
	return nil
}

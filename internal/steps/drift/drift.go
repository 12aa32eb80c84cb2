// Package drift is kiln-drift: it plans every environment of kiln.yaml (or one) with refresh
// on and the image the environment should run (the promote environment: the family's
// current image; any other: the record's deployment there), and reports each resource and
// attribute the plan would change, what the refresh found changed outside Terraform, an
// image in the state other than that one, and a revoked image. It never applies anything.
package drift

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gitlab"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
)

// Step is kiln-drift.
type Step struct{}

var (
	environmentFlag = step.Flag{Name: "environment", Env: "KILN_ENVIRONMENT",
		Help: "check only this environment of kiln.yaml (default: every one)"}
	reportFlag = step.Flag{Name: "report", Env: "KILN_DRIFT_REPORT",
		Help: "write the findings as JSON to this file"}
)

func (Step) Name() string   { return "drift" }
func (Step) String() string { return "checking the environments for drift" }
func (Step) Description() string {
	return "Plans every environment (or --environment) with the image it should run, refresh on, and\n" +
		"reports each resource and attribute that drifted, images other than the expected one, and\n" +
		"revoked images. Never applies. Exit 9 when anything drifted."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-drift", "kiln-drift --environment prod --report drift.json"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Checks that every environment of kiln.yaml (or --environment's) is what kiln deployed there:\n" +
		"terraform plan -detailed-exitcode, refresh on, with the image the environment should run (the\n" +
		"promote environment: the family's current image; any other: the record's deployment there).\n" +
		"Prints one line per resource and attribute the plan would change (sensitive values never\n" +
		"shown), per change the refresh found made outside Terraform, per image in the state other\n" +
		"than that one and per revoked image, then one summary line per environment. Never applies\n" +
		"anything. An environment with no image kiln deployed, no workspace or (besides the promote\n" +
		"environment) an empty state is not checked. Exit 9 when any environment drifted."
}

// issuesFlag keeps one GitLab issue per drifted environment.
var issuesFlag = step.Flag{Name: "gitlab-issues", Env: "KILN_DRIFT_GITLAB_ISSUES", Bool: true,
	Help: "keep one GitLab issue per drifted environment: opened or updated while it drifts, closed once in sync (CI_API_V4_URL, CI_PROJECT_ID, KILN_GITLAB_TOKEN with the api scope)"}

func (Step) Flags() []step.Flag { return []step.Flag{environmentFlag, reportFlag, issuesFlag} }
func (Step) EnvVars() []string  { return []string{open.EnvSummary} }

// Run checks the environments, prints and writes the report, and returns exit 9 when any
// drifted. An environment that cannot be checked (Terraform fails, a lock is held) does
// not stop the others; the first such error decides the exit code, and the line names any
// drift found besides.
func (Step) Run(ctx context.Context, r *step.Run) error {
	names, err := environments(r)
	if err != nil {
		return err
	}
	c, err := newChecker(ctx, r, names)
	if err != nil {
		return err
	}
	rep := Report{Environments: []Environment{}}
	var first error
	for _, name := range names {
		r.Logf("checking %s", name)
		env, err := c.check(ctx, name)
		if ctx.Err() != nil {
			return ctx.Err() // stopped: the runner says so, and nothing is written
		}
		if err != nil {
			env.Error = c.clean(err.Error())
			if first == nil {
				first = fmt.Errorf("environment %s: %w", name, err)
			}
		}
		env.settle()
		for _, l := range env.lines() {
			fmt.Fprintln(r.Out, l)
		}
		rep.Environments = append(rep.Environments, env)
	}
	var drifted []string
	for _, env := range rep.Environments {
		fmt.Fprintln(r.Out, env.summary())
		if env.drifted() {
			drifted = append(drifted, fmt.Sprintf("%s (%s)", env.Name, plural(env.count(), "change")))
		}
	}
	if path := r.Opts.Get("report"); path != "" {
		if err := rep.write(r.Path(path)); err != nil {
			return err
		}
	}
	if r.Opts.Bool("gitlab-issues") {
		if err := syncIssues(ctx, r, rep); err != nil {
			return err
		}
	}
	switch {
	case first != nil && len(drifted) > 0:
		return fmt.Errorf("%w; drift in %s", first, strings.Join(drifted, ", "))
	case first != nil:
		return first
	case len(drifted) > 0:
		return exitcode.New(exitcode.Drifted, "drift in %s", strings.Join(drifted, ", "))
	}
	return nil
}

// environments returns --environment's name, checked against kiln.yaml, or every
// environment's in kiln.yaml's order.
func environments(r *step.Run) ([]string, error) {
	name := r.Opts.Get("environment")
	if name == "" {
		return r.Config.EnvironmentNames(), nil
	}
	if _, err := r.Config.Env(name); err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("%s: %w", r.Opts.Given("environment"), err))
	}
	return []string{name}, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// syncIssues keeps the GitLab drift issue of each checked environment: open while drifted,
// closed once in sync. An environment that was not checked, or whose check failed, keeps its
// issue as it is.
func syncIssues(ctx context.Context, r *step.Run, rep Report) error {
	settings, err := gitlab.SettingsFromEnv(r.Lookup)
	if err != nil {
		return err
	}
	c, err := gitlab.New(settings)
	if err != nil {
		return err
	}
	for _, env := range rep.Environments {
		if env.Skipped != "" || env.Error != "" {
			continue
		}
		body := fmt.Sprintf("**%s is not what kiln deployed there** (image `%s`).\n\n```text\n%s\n```\n",
			env.Name, env.Image, strings.Join(env.lines(), "\n"))
		did, err := c.SyncDriftIssue(ctx, env.Name, env.drifted(), body)
		if err != nil {
			return err
		}
		if did != "" {
			fmt.Fprintf(r.Out, "%s: GitLab issue %s\n", env.Name, did)
		}
	}
	return nil
}

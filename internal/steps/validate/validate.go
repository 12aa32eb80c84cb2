// Package validate is kiln-validate: kiln.yaml's schema (checked when it loads), the image
// name convention, packer fmt -check / init / validate, and terraform fmt -check / validate
// of every environment's configuration. It reports every check and exits 1 if any failed.
package validate

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/tools"
)

// Step is kiln-validate.
type Step struct{}

func (Step) Name() string   { return "validate" }
func (Step) String() string { return "validating the repository" }
func (Step) Description() string {
	return "Checks kiln.yaml, the Packer template and every environment's Terraform configuration\n" +
		"before anything runs: one line per check (ok, FAIL with the tool's first error, skip and why).\n" +
		"Exit 2 for a configuration mistake (with kiln.yaml:line), 1 for any other failure."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-validate", "kiln-validate --offline   # no downloads; skips what needs a missing plugin"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Checks what the pipeline will need before anything runs: kiln.yaml's schema, that the image\n" +
		"name template renders to a valid name, packer fmt -check, packer init and packer validate of the\n" +
		"template, terraform fmt -check and terraform validate (without the backend) of every\n" +
		"environment's configuration, that each declares its image variable, that each test check names\n" +
		"only outputs the environments it runs in declare, and, with a blue-green or canary\n" +
		"promote.strategy, that the promote environment declares the slot variables and the outputs the\n" +
		"strategy reads (docs/strategies.md). Prints one line per check (ok, FAIL, or skip\n" +
		"with the reason); exit 2 for a configuration mistake, 1 for any other failure. --offline\n" +
		"downloads nothing and skips what needs a missing plugin."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{{Name: "syntax-only", Env: "KILN_SYNTAX_ONLY", Bool: true,
		Help: "packer validate -syntax-only (for templates whose builders need cloud credentials)"}, offlineFlag}
}
func (Step) EnvVars() []string { return nil }

// result is one check's outcome: passed, failed (err) or skipped (skip says why).
type result struct {
	name string
	err  error
	skip string
}

// Run runs every check, even after one failed, and reports them all.
func (Step) Run(ctx context.Context, r *step.Run) error {
	var results []result
	add := func(name string, err error) {
		results = append(results, result{name: name, err: err})
	}
	add("kiln.yaml schema", nil) // Load already refused a bad file with exit 2
	_, err := config.RenderName(r.Config.Image.Name, config.NameData{Family: r.Config.Image.Family,
		SHA: strings.Repeat("0123456789abcdef", 3)[:40], Ref: "master", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	add("image name convention", err)
	if r.Config.Vault != nil {
		add("vault secret mappings", nil) // Load checked them: engines, steps, names, duplicates
	}
	switch a := r.Config.Attest; {
	case a == nil:
		r.Logf("warning: kiln.yaml has no attest block: records are only tamper-evident, and anyone who can write one can forge its tests")
	case a.PublicKey != "":
		_, err := attest.LoadPublicKey(r.Config.Path(a.PublicKey))
		add("attestation public key", err)
	}
	results = append(results, packerChecks(ctx, r)...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	results = append(results, terraformChecks(ctx, r)...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, name := range r.Config.EnvironmentNames() {
		env, _ := r.Config.Env(name)
		add("environment "+name+": image variable "+env.ImageVar, deployment.ImageVarDeclared(r.Config, name))
	}
	if s := r.Config.Promote.Strategy; !s.IsReplace() {
		add("promote strategy "+s.Type+": environment "+r.Config.Promote.Environment+"'s slot variables and outputs", checkStrategy(r.Config))
	}
	if errs := checkOutputs(r.Config); len(errs) > 0 {
		for _, err := range errs {
			add("test checks' outputs", err)
		}
	} else if len(r.Config.Test.Checks) > 0 {
		add("test checks' outputs", nil)
	}
	failed, code := 0, exitcode.Failed
	for _, res := range results {
		if res.err != nil {
			failed++
			if exitcode.Of(res.err) == exitcode.Usage {
				code = exitcode.Usage // a configuration error, as every step would report it
			}
			fmt.Fprintf(r.Out, "FAIL %s: %s\n", res.name, res.err)
		} else if res.skip != "" {
			fmt.Fprintf(r.Out, "skip %s: %s\n", res.name, res.skip)
		} else {
			fmt.Fprintf(r.Out, "ok   %s\n", res.name)
		}
	}
	if failed > 0 {
		return exitcode.New(code, "%d of %d checks failed", failed, len(results))
	}
	return nil
}

func packerChecks(ctx context.Context, r *step.Run) []result {
	cfg := r.Config
	if err := cfg.Exists("packer.template", cfg.Packer.Template); err != nil {
		return []result{{name: "packer " + cfg.Packer.Template, err: err}}
	}
	exe, err := tools.Finder{Getenv: r.Env.Getenv, Dir: r.Env.Dir, ConfigDir: cfg.Dir}.Packer(ctx, r.Opts.Get("packer"))
	if err != nil {
		return []result{{name: "packer", err: err}}
	}
	tools.Announce(r.Log, "packer", exe, packer.Version(ctx, exe))
	tmpl := packer.Template{Path: cfg.Path(cfg.Packer.Template), Vars: cfg.Packer.Vars}
	for _, f := range cfg.Packer.VarFiles {
		tmpl.VarFiles = append(tmpl.VarFiles, cfg.Path(f))
	}
	add := map[string]string{"PKR_VAR_image_name": cfg.Image.Family + "-validate", "PKR_VAR_image_family": cfg.Image.Family, "PKR_VAR_source_sha": "0000000000000000000000000000000000000000"}
	if cfg.Image.Base != "" {
		add["PKR_VAR_base_image"] = cfg.Image.Base
	}
	env, err := packer.Env(r.ChildEnviron(), add, r.ChildEnv)
	if err != nil {
		return []result{{name: "packer", err: err}}
	}
	pk := &packer.Runner{Exec: exe, Env: env, Log: r.Log, StopTimeout: r.StopTimeout}
	name := "packer " + cfg.Packer.Template
	var unformatted bytes.Buffer // packer fmt -check lists the files it would change
	fmtErr := pk.Run(ctx, tmpl, packer.FmtCheckArgs(tmpl), &unformatted)
	if files := strings.Fields(unformatted.String()); fmtErr != nil && len(files) > 0 {
		fmtErr = fmt.Errorf("not formatted: %s (run packer fmt)", strings.Join(files, ", "))
	}
	out := []result{{name: name + ": fmt -check", err: fmtErr}}
	if r.Opts.Bool(offlineFlag.Name) {
		out = append(out, result{name: name + ": init", skip: "offline: nothing is downloaded; validate uses the plugins installed or bundled with Packer"})
	} else if err := pk.Run(ctx, tmpl, packer.InitArgs(tmpl), nil); err != nil {
		return append(out, result{name: name + ": init", err: err})
	}
	return append(out, result{name: name + ": validate", err: pk.Run(ctx, tmpl, packer.ValidateArgs(tmpl, r.Opts.Bool("syntax-only")), nil)})
}

// terraformChecks validates each distinct configuration once, with the first environment
// that uses it.
func terraformChecks(ctx context.Context, r *step.Run) []result {
	seen := map[string]bool{}
	names := r.Config.EnvironmentNames()
	sort.Strings(names)
	var out []result
	for _, name := range names {
		env, err := r.Config.Env(name)
		if err != nil {
			out = append(out, result{name: "environment " + name, err: err})
			continue
		}
		dir := r.Config.Path(env.Terraform)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if r.Opts.Bool(offlineFlag.Name) {
			out = append(out, terraformOffline(ctx, r, name, env.Terraform)...)
			continue
		}
		out = append(out, terraformCheck(ctx, r, name, env.Terraform)...)
	}
	return out
}

func terraformCheck(ctx context.Context, r *step.Run, name, dir string) []result {
	label := "terraform " + dir
	t, err := environment.OpenOffline(ctx, deployment.Terraform(r), name)
	if err != nil {
		return []result{{name: label + ": init", err: err}}
	}
	defer t.Close()
	var out []result
	files, err := t.FmtCheck(ctx)
	if err == nil && len(files) > 0 {
		err = fmt.Errorf("not formatted: %s (run terraform fmt)", strings.Join(files, ", "))
	}
	out = append(out, result{name: label + ": fmt -check", err: err})
	return append(out, result{name: label + ": validate", err: validateTF(ctx, t)})
}

// validateTF runs terraform validate and joins its error diagnostics.
func validateTF(ctx context.Context, t *environment.Target) error {
	problems, err := t.Validate(ctx)
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return err
}

// Package validate is kiln-validate: kiln.yaml's schema (checked when it loads), the image
// name convention, packer fmt -check / init / validate, and terraform fmt -check / validate
// of every environment's configuration. It reports every check and exits 1 if any failed.
package validate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/secrets"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/tools"
)

// Step is kiln-validate.
type Step struct{}

func (Step) Name() string   { return "validate" }
func (Step) String() string { return "validating the repository" }
func (Step) Description() string {
	return "Checks what the pipeline will need before anything runs: kiln.yaml's schema, that the image\n" +
		"name template renders to a valid name, packer fmt -check, packer init and packer validate of the\n" +
		"template, and terraform fmt -check and terraform validate (without the backend) of every\n" +
		"environment's configuration. Prints one line per check; exit 1 if any failed."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{{Name: "syntax-only", Env: "KILN_SYNTAX_ONLY", Bool: true,
		Help: "packer validate -syntax-only (for templates whose builders need cloud credentials)"}}
}
func (Step) EnvVars() []string { return nil }

// result is one check's outcome.
type result struct {
	name string
	err  error
}

// Run runs every check, even after one failed, and reports them all.
func (Step) Run(ctx context.Context, r *step.Run) error {
	var results []result
	add := func(name string, err error) {
		results = append(results, result{name, err})
	}
	add("kiln.yaml schema", nil) // Load already refused a bad file with exit 2
	_, err := config.RenderName(r.Config.Image.Name, config.NameData{Family: r.Config.Image.Family,
		SHA: strings.Repeat("0123456789abcdef", 3)[:40], Ref: "master", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	add("image name convention", err)
	if v := r.Config.Vault; v != nil {
		add("vault secret mappings", vaultMappings(r))
	}
	results = append(results, packerChecks(ctx, r)...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	results = append(results, terraformChecks(ctx, r)...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failed := 0
	for _, res := range results {
		if res.err != nil {
			failed++
			fmt.Fprintf(r.Out, "FAIL %s: %s\n", res.name, res.err)
		} else {
			fmt.Fprintf(r.Out, "ok   %s\n", res.name)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(results))
	}
	return nil
}

func packerChecks(ctx context.Context, r *step.Run) []result {
	cfg := r.Config
	exe, err := tools.Finder{Getenv: r.Env.Getenv, Dir: r.Env.Dir}.Packer(ctx, r.Opts.Get("packer"))
	if err != nil {
		return []result{{"packer", err}}
	}
	tmpl := packer.Template{Path: cfg.Path(cfg.Packer.Template), Vars: cfg.Packer.Vars}
	for _, f := range cfg.Packer.VarFiles {
		tmpl.VarFiles = append(tmpl.VarFiles, cfg.Path(f))
	}
	add := map[string]string{"PKR_VAR_image_name": cfg.Image.Family + "-validate", "PKR_VAR_image_family": cfg.Image.Family, "PKR_VAR_source_sha": "0000000000000000000000000000000000000000"}
	for k, v := range r.ChildEnv {
		add[k] = v
	}
	pk := &packer.Runner{Exec: exe, Env: packer.Env(r.ChildEnviron(), add), Log: r.Log, StopTimeout: r.StopTimeout}
	name := "packer " + cfg.Packer.Template
	out := []result{{name + ": fmt -check", pk.Run(ctx, tmpl, packer.FmtCheckArgs(tmpl), nil)}}
	if err := pk.Run(ctx, tmpl, packer.InitArgs(tmpl), nil); err != nil {
		return append(out, result{name + ": init", err})
	}
	return append(out, result{name + ": validate", pk.Run(ctx, tmpl, packer.ValidateArgs(tmpl, r.Opts.Bool("syntax-only")), nil)})
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
			out = append(out, result{"environment " + name, err})
			continue
		}
		dir := r.Config.Path(env.Terraform)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		out = append(out, terraformCheck(ctx, r, name, env.Terraform)...)
	}
	return out
}

func terraformCheck(ctx context.Context, r *step.Run, name, dir string) []result {
	label := "terraform " + dir
	t, err := environment.OpenOffline(ctx, r, name)
	if err != nil {
		return []result{{label + ": init", err}}
	}
	defer t.Close()
	var out []result
	files, err := t.FmtCheck(ctx)
	if err == nil && len(files) > 0 {
		err = fmt.Errorf("not formatted: %s (run terraform fmt)", strings.Join(files, ", "))
	}
	out = append(out, result{label + ": fmt -check", err})
	problems, err := t.Validate(ctx)
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return append(out, result{label + ": validate", err})
}

// vaultMappings checks the vault block without contacting Vault: known steps, no variable
// kiln sets itself, nothing set twice in a step, no Terraform variable that is an
// environment's image variable.
func vaultMappings(r *step.Run) error {
	if err := secrets.Validate(step.VaultConfig(r.Config.Vault), config.StepNames, step.ReservedEnv); err != nil {
		return err
	}
	for _, m := range r.Config.Vault.Secrets {
		if m.TFVar == "" {
			continue
		}
		for _, name := range r.Config.EnvironmentNames() {
			if env, err := r.Config.Env(name); err == nil && env.ImageVar == m.TFVar {
				return fmt.Errorf("vault secret %s: tf_var %s is environment %s's image variable", m.Path, m.TFVar, name)
			}
		}
	}
	return nil
}

// Package bake is kiln-bake: it names the image by kiln.yaml's convention, runs packer init
// and packer build -machine-readable with the step's secrets in Packer's environment, imports
// file images (qemu, file builders) into the local registry, and writes the record.
package bake

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/tools"
)

// Step is kiln-bake.
type Step struct{}

func (Step) Name() string   { return "bake" }
func (Step) String() string { return "baking the image" }
func (Step) Description() string {
	return "Bakes a new image with Packer from kiln.yaml's packer block, names it from image.name,\n" +
		"imports a file image into the local registry under its content digest, and writes the record\n" +
		"(kiln-image.json) and kiln.env for the next stages."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-bake", "kiln-bake --dry-run        # packer validate only", "KILN_SOURCE_SHA=$(git rev-parse HEAD) kiln-bake --record out/kiln-image.json"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Bakes a new image with Packer: renders the image name from kiln.yaml's image.name, runs\n" +
		"packer init and packer build -machine-readable (kiln's variables image_name, image_family and\n" +
		"source_sha reach the template as PKR_VAR_*), imports file images into the local registry under a\n" +
		"content-addressed id, and writes kiln-image.json and kiln.env."
}
func (Step) Flags() []step.Flag { return []step.Flag{step.DryRun} }
func (Step) EnvVars() []string {
	return []string{
		"KILN_SOURCE_SHA, KILN_SOURCE_REF   the source commit and ref outside CI (default: git in kiln.yaml's directory)",
		"KILN_REGISTRY_PATH     the local registry's directory (overrides registry.path)",
		"CI_COMMIT_SHA, GITHUB_SHA, GIT_COMMIT, ...  the CI's own variables for the source",
	}
}

// Run bakes the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	if err := r.Config.Exists("packer.template", r.Config.Packer.Template); err != nil {
		return err
	}
	cfg := r.Config
	if err := writable(r); err != nil {
		return err
	}
	src, err := source(ctx, r)
	if err != nil {
		return err
	}
	now := r.Env.Now().UTC()
	name, err := config.RenderName(cfg.Image.Name, config.NameData{Family: cfg.Image.Family, SHA: src.Commit, Ref: src.Ref, Time: now})
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("image.name: %w", err))
	}
	tmpl := packer.Template{Path: cfg.Path(cfg.Packer.Template), Vars: cfg.Packer.Vars}
	for _, f := range cfg.Packer.VarFiles {
		tmpl.VarFiles = append(tmpl.VarFiles, cfg.Path(f))
	}
	if src.TemplateSHA256, err = TemplateDigest(tmpl.Path); err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	src.BaseImage = cfg.Image.Base
	exe, err := tools.Finder{Getenv: r.Env.Getenv, Dir: r.Env.Dir, ConfigDir: cfg.Dir}.Packer(ctx, r.Opts.Get("packer"))
	if err != nil {
		return err
	}
	tools.Announce(r.Log, "packer", exe, packer.Version(ctx, exe))
	add := map[string]string{
		"PKR_VAR_image_name":   name,
		"PKR_VAR_image_family": cfg.Image.Family,
		"PKR_VAR_source_sha":   src.Commit,
		// Build VMs carry the run's owner labels when the template declares kiln_labels.
		"PKR_VAR_" + owner.LabelsVar: r.Owner.LabelsValue(true),
	}
	if cfg.Image.Base != "" {
		add["PKR_VAR_base_image"] = cfg.Image.Base
	}
	env, err := packer.Env(r.ChildEnviron(), add, r.ChildEnv)
	if err != nil {
		return err
	}
	pk := &packer.Runner{Exec: exe, Env: env, Log: r.Log, StopTimeout: r.StopTimeout, Phase: r.Phase}
	r.Logf("image %s from %s (commit %s)", name, cfg.Packer.Template, short(src.Commit))
	if _, err := pk.Init(ctx, tmpl, filepath.Join(cfg.Dir, ".kiln", "packer"), packer.PluginDir(env)); err != nil {
		return err
	}
	if r.Opts.Bool("dry-run") {
		if err := pk.Run(ctx, tmpl, packer.ValidateArgs(tmpl, false), nil); err != nil {
			return err
		}
		fmt.Fprintf(r.Out, "dry run: would build %s from %s\n", name, cfg.Packer.Template)
		return nil
	}
	out := packer.NewOutput(r.Log)
	endBuild := r.Phase("packer build")
	runErr := pk.Run(ctx, tmpl, packer.BuildArgs(tmpl), out)
	out.Flush()
	endBuild(runErr)
	res := out.Result()
	if runErr != nil {
		return buildError(runErr, res)
	}
	img, err := identify(ctx, r, cfg, tmpl, res, name, src)
	if err != nil {
		return err
	}
	if err := labelCloudImage(ctx, r, img); err != nil {
		return err
	}
	rec := record.New(img, src, now)
	// The template's "kiln-fact packages_digest" line, for immutable checks (docs/immutable.md).
	facts := out.Facts()
	for _, w := range facts.Warnings {
		r.Logf("warning: %s", w)
	}
	rec.Image.PackagesDigest = facts.PackagesDigest
	if err := r.Publish(rec); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "baked %s: %s\n", img.Name, img.ID)
	return nil
}

// buildError prefers Packer's own error message over the exit status.
func buildError(runErr error, res packer.Result) error {
	for _, be := range res.BuildErrors {
		return fmt.Errorf("packer build: %s: %s", be.Build, be.Message)
	}
	if n := len(res.Errors); n > 0 {
		return fmt.Errorf("packer build: %s", res.Errors[n-1])
	}
	return runErr
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

// absFiles resolves artifact file paths, which Packer gives relative to its working directory.
func absFiles(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		out[i] = f
	}
	return out
}

package step

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/registry/open"
)

// RecordPath is the record's path from --record.
func (r *Run) RecordPath() string { return r.Path(r.Opts.Get("record")) }

// ReadRecord reads and checks the record at --record (exit code 6 when missing or invalid).
func (r *Run) ReadRecord() (*record.Record, error) {
	return record.Read(r.RecordPath())
}

// Publish writes the record atomically, merges its variables and extra into kiln.env, and
// hands the same values to the CI as outputs (GitHub: image-id, image-name, ...).
//
// extra holds optional variables (Terraform outputs): those that would take kiln.env past
// GitLab's dotenv limits are left out with a warning (the record keeps them all).
func (r *Run) Publish(rec *record.Record, extra map[string]string) error {
	vars := record.EnvFromRecord(rec)
	envPath := r.Path(r.Opts.Get("env-file"))
	env, err := record.ReadDotenv(envPath)
	if err != nil {
		return err
	}
	forgetStale(&env, rec, vars)
	// kiln.env is checked before the record is written, so that a value or a count kiln.env
	// cannot carry fails the step without leaving a record that says it succeeded.
	if err := env.SetAll(vars); err != nil {
		return fmt.Errorf("%s: %w", envPath, err)
	}
	if _, err := env.Bytes(); err != nil {
		return fmt.Errorf("%s: %w", envPath, err)
	}
	r.addOptional(&env, envPath, vars, extra)
	if err := record.Write(r.RecordPath(), rec); err != nil {
		return err
	}
	if err := record.WriteDotenv(envPath, env); err != nil {
		return err
	}
	outputs := map[string]string{}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var md strings.Builder
	fmt.Fprintf(&md, "### %s\n\n| output | value |\n|---|---|\n", r.binary)
	for _, k := range keys {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "KILN_")), "_", "-")
		outputs[name] = vars[k]
		fmt.Fprintf(&md, "| `%s` | `%s` |\n", name, vars[k])
	}
	if err := r.CI.SetOutputs(outputs); err != nil {
		return err
	}
	return r.CI.Summary(md.String())
}

// forgetStale removes what kiln.env says about an earlier image (its test status, its
// promotion, its deployments' outputs) and the sections rec no longer has.
func forgetStale(env *record.Dotenv, rec *record.Record, vars map[string]string) {
	if id, _ := env.Get(record.EnvImageID); id != rec.Image.ID {
		for _, v := range env.Vars() {
			if strings.HasPrefix(v.Key, "KILN_OUTPUT_") {
				env.Delete(v.Key)
			}
		}
	}
	for _, k := range record.StaleKeys {
		if _, ok := vars[k]; !ok {
			env.Delete(k)
		}
	}
}

// addOptional adds each of extra (in key order) to env and vars while kiln.env stays within
// its limits, and warns about what it leaves out.
func (r *Run) addOptional(env *record.Dotenv, envPath string, vars, extra map[string]string) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var left []string
	for _, k := range keys {
		old, had := env.Get(k)
		if env.Set(k, extra[k]) == nil {
			if _, err := env.Bytes(); err == nil {
				vars[k] = extra[k]
				continue
			}
		}
		if had {
			_ = env.Set(k, old)
		} else {
			env.Delete(k)
		}
		left = append(left, k)
	}
	if len(left) > 0 {
		r.Logf("warning: %s cannot hold %s (GitLab's dotenv limits: %d variables, %d bytes); kiln-image.json has them",
			envPath, strings.Join(left, ", "), record.MaxDotenvVars, record.MaxDotenvSize)
	}
}

// Registry returns the image registry kiln.yaml names; --registry (KILN_REGISTRY_PATH)
// overrides the local registry's path.
func (r *Run) Registry() (*local.Registry, error) {
	if t := r.Config.Registry.Type; t != "local" {
		return nil, exitcode.New(exitcode.Usage, "registry type %q: only the local registry is available in this version", t)
	}
	path := r.Config.Path(r.Config.Registry.Path)
	if p := r.Env.Getenv("KILN_REGISTRY_PATH"); p != "" {
		path = r.Path(p)
	}
	return &local.Registry{Dir: path, Now: r.Env.Now}, nil
}

// ImageRegistry opens the registry kiln.yaml names (local, gcp or aws) for families,
// lifecycle states and in-use discovery. Its credentials come from the step's secrets
// (ChildEnv), then the process environment.
func (r *Run) ImageRegistry(ctx context.Context) (registry.Registry, error) {
	getenv := func(k string) string {
		if v, ok := r.ChildEnv[k]; ok {
			return v
		}
		return r.Env.Getenv(k)
	}
	return open.Registry(ctx, r.Config, open.Options{Getenv: getenv, Dir: r.Env.Dir, Now: r.Env.Now})
}

// LocalImage reports whether id is an image of the local registry.
func LocalImage(id string) bool { return strings.HasPrefix(id, local.IDPrefix) }

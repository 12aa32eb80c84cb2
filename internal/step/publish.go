package step

import (
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// RecordPath is the record's path from --record.
func (r *Run) RecordPath() string { return r.Path(r.Opts.Get("record")) }

// ReadRecord reads and checks the record at --record (exit code 6 when missing or invalid).
func (r *Run) ReadRecord() (*record.Record, error) {
	return record.Read(r.RecordPath())
}

// Publish writes the record atomically, merges its variables and extra into kiln.env, and
// hands the same values to the CI as outputs (GitHub: image-id, image-name, ...).
func (r *Run) Publish(rec *record.Record, extra map[string]string) error {
	if err := record.Write(r.RecordPath(), rec); err != nil {
		return err
	}
	vars := record.EnvFromRecord(rec)
	for k, v := range extra {
		vars[k] = v
	}
	envPath := r.Path(r.Opts.Get("env-file"))
	env, err := record.ReadDotenv(envPath)
	if err != nil {
		return err
	}
	if err := env.SetAll(vars); err != nil {
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
	for _, k := range keys {
		outputs[strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "KILN_")), "_", "-")] = vars[k]
	}
	return r.CI.SetOutputs(outputs)
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

// LocalImage reports whether id is an image of the local registry.
func LocalImage(id string) bool { return strings.HasPrefix(id, local.IDPrefix) }

package step

import (
	"github.com/kiln-ci/kiln/internal/publish"
	"github.com/kiln-ci/kiln/internal/record"
)

// RecordPath is the record's path from --record.
func (r *Run) RecordPath() string { return r.Path(r.Opts.Get("record")) }

// ReadRecord reads and checks the record at --record (exit code 6 when missing or invalid).
func (r *Run) ReadRecord() (*record.Record, error) {
	return record.Read(r.RecordPath())
}

// Publish writes the record to --record and its variables (with extra, optional ones) to
// --env-file and the CI's outputs (see publish.Target.Write).
func (r *Run) Publish(rec *record.Record, extra map[string]string) error {
	return publish.Target{Record: r.RecordPath(), Env: r.Path(r.Opts.Get("env-file")), CI: r.CI,
		Title: r.binary, Warn: r.Logf}.Write(rec, extra)
}

// Lookup returns a variable for what kiln itself opens (a registry's credentials): the
// step's secrets from Vault first, then the process environment.
func (r *Run) Lookup(k string) string {
	if v, ok := r.ChildEnv[k]; ok {
		return v
	}
	return r.Env.Getenv(k)
}

// SourceCommit is the commit the job builds: KILN_SOURCE_SHA, else the CI's; "" when neither
// says. kiln-bake records it, and kiln-test in a CI job vouches only for a record of it.
func (r *Run) SourceCommit() string {
	if v := r.Env.Getenv("KILN_SOURCE_SHA"); v != "" {
		return v
	}
	return r.CI.Info().Commit
}

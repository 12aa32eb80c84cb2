package step

import (
	"github.com/kiln-ci/kiln/internal/publish"
	"github.com/kiln-ci/kiln/internal/record"
)

// RecordPath is the record's path from --record.
func (r *Run) RecordPath() string { return r.Path(r.Opts.Get("record")) }

// ReadRecord reads and checks the record at --record (exit code 6 when missing or invalid).
func (r *Run) ReadRecord() (*record.Record, error) {
	rec, err := record.Read(r.RecordPath())
	if err != nil {
		return nil, err
	}
	// kiln.env is a copy for the CI; when it disagrees (a kiln.env from another job's
	// artifact, an edited one), the record wins, and the log says so.
	envPath := r.Path(r.Opts.Get("env-file"))
	if env, err := record.ReadDotenv(envPath); err == nil {
		if id, ok := env.Get(record.EnvImageID); ok && id != rec.Image.ID {
			r.Logf("warning: %s names image %s but %s names %s: kiln goes by the record", envPath, id, r.RecordPath(), rec.Image.ID)
		}
	}
	return rec, nil
}

// Publish writes the record to --record, kiln.env (--env-file) from it, and the CI's
// outputs (see publish.Target.Write).
func (r *Run) Publish(rec *record.Record) error {
	return publish.Target{Record: r.RecordPath(), Env: r.Path(r.Opts.Get("env-file")), CI: r.CI,
		Title: r.binary, Warn: r.Logf}.Write(rec)
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

// Package publish hands a step's result to the next stage: it writes the record
// (kiln-image.json) atomically, writes kiln.env from it, and gives the same values to the
// CI as outputs and a step summary.
package publish

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/ci"
	"github.com/kiln-ci/kiln/internal/record"
)

// Target is where a step publishes.
type Target struct {
	Record string      // kiln-image.json's path
	Env    string      // kiln.env's path
	CI     ci.Provider // outputs and summary
	Title  string      // the summary's heading: the binary's name
	// Warn receives one-line warnings (what kiln.env cannot hold).
	Warn func(format string, args ...any)
}

// Write writes rec atomically, writes kiln.env anew from rec alone (never merged with what
// it said before, which may be about another image), and hands the same values to the CI
// as outputs (GitHub: image-id, image-name, ...).
//
// The record's deployments' outputs are optional variables (KILN_OUTPUT_<ENV>_<NAME>): those
// that would take kiln.env past GitLab's dotenv limits are left out with a warning (the
// record keeps them all).
func (t Target) Write(rec *record.Record) error {
	vars := record.EnvFromRecord(rec)
	var env record.Dotenv
	// kiln.env is checked before the record is written, so that a value or a count kiln.env
	// cannot carry fails the step without leaving a record that says it succeeded.
	if err := env.SetAll(vars); err != nil {
		return fmt.Errorf("%s: %w", t.Env, err)
	}
	if _, err := env.Bytes(); err != nil {
		return fmt.Errorf("%s: %w", t.Env, err)
	}
	t.addOptional(&env, vars, RecordOutputs(rec))
	if err := record.Write(t.Record, rec); err != nil {
		return err
	}
	if err := record.WriteDotenv(t.Env, env); err != nil {
		return err
	}
	return t.outputs(vars)
}

// RecordOutputs are the output variables of every deployment of rec.
func RecordOutputs(rec *record.Record) map[string]string {
	out := map[string]string{}
	for _, d := range rec.Deployments {
		for k, v := range OutputVars(d.Environment, d.Outputs) {
			out[k] = v
		}
	}
	return out
}

// outputs hands vars to the CI as outputs and a summary table.
func (t Target) outputs(vars map[string]string) error {
	outputs := map[string]string{}
	var md strings.Builder
	fmt.Fprintf(&md, "### %s\n\n| output | value |\n|---|---|\n", t.Title)
	for _, k := range sorted(vars) {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "KILN_")), "_", "-")
		outputs[name] = vars[k]
		fmt.Fprintf(&md, "| `%s` | `%s` |\n", name, vars[k])
	}
	if err := t.CI.SetOutputs(outputs); err != nil {
		return err
	}
	return t.CI.Summary(md.String())
}

// addOptional adds each of extra (in key order) to env and vars while kiln.env stays within
// its limits, and warns about what it leaves out.
func (t Target) addOptional(env *record.Dotenv, vars, extra map[string]string) {
	var left []string
	for _, k := range sorted(extra) {
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
	if len(left) > 0 && t.Warn != nil {
		t.Warn("warning: %s cannot hold %s (GitLab's dotenv limits: %d variables, %d bytes); kiln-image.json has them",
			t.Env, strings.Join(left, ", "), record.MaxDotenvVars, record.MaxDotenvSize)
	}
}

func sorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

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

// Var is one optional kiln.env variable.
type Var struct{ Key, Value string }

// RecordOutputs are the output variables of every deployment of rec, the most recent
// deployment's first (when kiln.env cannot hold them all, the environment a step just
// deployed or promoted to keeps its outputs), each deployment's in key order.
func RecordOutputs(rec *record.Record) []Var {
	deps := append([]record.Deployment(nil), rec.Deployments...)
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].At.After(deps[j].At) })
	var out []Var
	seen := map[string]bool{}
	for _, d := range deps {
		vars := OutputVars(d.Environment, d.Outputs)
		for _, k := range sorted(vars) {
			if !seen[k] {
				seen[k] = true
				out = append(out, Var{k, vars[k]})
			}
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

// addOptional adds each of extra (in its order) to env and vars while kiln.env stays within
// its limits, and warns about what it leaves out.
func (t Target) addOptional(env *record.Dotenv, vars map[string]string, extra []Var) {
	var left []string
	for _, v := range extra {
		k := v.Key
		old, had := env.Get(k)
		if env.Set(k, v.Value) == nil {
			if _, err := env.Bytes(); err == nil {
				vars[k] = v.Value
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

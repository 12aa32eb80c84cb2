package validate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// outputRef finds the outputs a check's template names: {{ .Outputs.name }} and
// {{ index .Outputs "name" }}.
var outputRef = regexp.MustCompile(`\.Outputs\.([A-Za-z_][A-Za-z0-9_-]*)|index\s+\.Outputs\s+"([^"]+)"`)

// checkOutputs returns an error (at the check's kiln.yaml line) for each check whose
// templates name an output that the configuration of an environment the check runs in
// (test.environment, or those its environments key lists) does not declare: kiln-test would
// fail on it only after a whole bake and deploy.
func checkOutputs(cfg *config.Config) []error {
	var errs []error
	declared := map[string]map[string]bool{} // per environment; nil when it cannot be read
	for i, c := range cfg.Test.Checks {
		envs := c.Environments
		if envs == nil {
			envs = []string{cfg.Test.Environment}
		}
		for _, name := range envs {
			env, err := cfg.Env(name)
			if err != nil {
				continue // an unknown environment is reported on its own
			}
			d, ok := declared[name]
			if !ok {
				if d, err = terraform.DeclaredOutputs(cfg.Path(env.Terraform)); err != nil {
					d = nil // the missing directory is reported on its own
				}
				declared[name] = d
			}
			if d == nil {
				continue
			}
			for _, out := range referenced(templates(c)) {
				if !d[out] {
					errs = append(errs, cfg.Errorf(fmt.Sprintf("test.checks[%d]", i), "check %q uses output %q, which %s (environment %s) does not declare (have %s)",
						c.Name, out, env.Terraform, name, have(d)))
				}
			}
		}
	}
	return errs
}

// templates are the fields of a check that kiln-test renders over the outputs.
func templates(c config.Check) []string {
	var out []string
	if c.HTTP != nil {
		out = append(out, c.HTTP.URL, c.HTTP.BodyContains)
		for _, v := range c.HTTP.Headers {
			out = append(out, v)
		}
	}
	if c.TCP != nil {
		out = append(out, c.TCP.Address)
	}
	if c.SSH != nil {
		out = append(out, c.SSH.Address, c.SSH.HostKey, c.SSH.Command, c.SSH.StdoutContains)
	}
	if c.Goss != nil {
		out = append(out, c.Goss.Address, c.Goss.HostKey)
	}
	if c.Immutable != nil {
		out = append(out, c.Immutable.URL, c.Immutable.Address, c.Immutable.HostKey)
	}
	return out
}

func referenced(texts []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range texts {
		for _, m := range outputRef.FindAllStringSubmatch(t, -1) {
			name := m[1] + m[2]
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

func have(declared map[string]bool) string {
	if len(declared) == 0 {
		return "none"
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

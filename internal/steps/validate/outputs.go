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

// checkOutputs returns an error (at the check's kiln.yaml line) for each test check whose
// templates name an output the test environment's configuration does not declare: kiln-test
// would fail on it only after a whole bake and deploy.
func checkOutputs(cfg *config.Config) []error {
	env, err := cfg.Env(cfg.Test.Environment)
	if err != nil || len(cfg.Test.Checks) == 0 {
		return nil
	}
	declared, err := terraform.DeclaredOutputs(cfg.Path(env.Terraform))
	if err != nil {
		return nil // the missing directory is reported on its own
	}
	var errs []error
	for i, c := range cfg.Test.Checks {
		for _, name := range referenced(templates(c)) {
			if !declared[name] {
				errs = append(errs, cfg.Errorf(fmt.Sprintf("test.checks[%d]", i), "check %q uses output %q, which %s (environment %s) does not declare (have %s)",
					c.Name, name, env.Terraform, cfg.Test.Environment, have(declared)))
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

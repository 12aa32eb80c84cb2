package secrets

import (
	"slices"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Validate checks a vault: block without contacting Vault, for kiln-validate: a known auth
// method with what it needs, and for each of steps, mappings Open can honour (engine, path,
// field, no env var or Terraform variable set twice). reserved lists env vars kiln sets
// itself, which no mapping may take (a name ending in "_" is a prefix). Every mapping must name steps from steps.
func Validate(c Config, steps, reserved []string) error {
	a := withDefaults(c.Auth)
	switch a.Method {
	case MethodToken, MethodAppRole, MethodJWT, MethodGitHub:
	case MethodJWTFile:
		if a.JWTFile == "" {
			return exitcode.New(exitcode.Usage, "vault.auth: jwt_file needs jwt_file: <path>")
		}
	default:
		return exitcode.New(exitcode.Usage, "vault.auth: unknown method %q (token, approle, jwt, github, jwt_file)", a.Method)
	}
	for _, m := range c.Secrets {
		for _, st := range m.Steps {
			if !slices.Contains(steps, st) {
				return exitcode.New(exitcode.Usage, "vault secret %s: unknown step %q (steps: %s)", m.Path, st, strings.Join(steps, ", "))
			}
		}
		for _, r := range reserved {
			prefix := strings.HasSuffix(r, "_") // a reserved prefix such as TF_HTTP_
			if m.Env == r || prefix && strings.HasPrefix(m.Env, r) || m.EnvPrefix != "" &&
				(strings.HasPrefix(r, m.EnvPrefix) || prefix && strings.HasPrefix(m.EnvPrefix, r)) {
				return exitcode.New(exitcode.Usage, "vault secret %s: %s is set by kiln itself", m.Path, r)
			}
		}
	}
	for _, st := range steps {
		if err := check(selected(c.Secrets, st), "(checked at run time)"); err != nil {
			return err
		}
	}
	return nil
}

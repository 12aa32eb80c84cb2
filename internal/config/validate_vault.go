package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kiln-ci/kiln/internal/childenv"
)

// authKeys are the vault.auth keys each method uses; any other one set is a mistake.
var authKeys = map[string][]string{
	AuthToken:   {"token_env"},
	AuthAppRole: {"path", "role_id_env", "secret_id_env", "secret_id_file"},
	AuthJWT:     {"path", "role", "token_env"},
	AuthGitHub:  {"path", "role", "audience"},
	AuthJWTFile: {"path", "role", "jwt_file"},
}

// authKeyOrder lists every vault.auth key but method, in schema order.
var authKeyOrder = []string{"path", "role", "token_env", "audience", "role_id_env", "secret_id_env", "secret_id_file", "jwt_file"}

var mountRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)

func (c *Config) validateVault() error {
	v := c.Vault
	if v == nil {
		return nil
	}
	if v.Address != "" {
		u, err := url.Parse(v.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.errorf("vault.address", "vault.address: %q is not an http or https URL", v.Address)
		}
	}
	if err := c.validateAuth(v.Auth); err != nil {
		return err
	}
	return c.validateSecrets(v.Secrets)
}

func (c *Config) validateAuth(a VaultAuth) error {
	if a.Method == "" {
		return c.required("vault.auth.method")
	}
	keys, ok := authKeys[a.Method]
	if !ok {
		return c.errorf("vault.auth.method", "vault.auth.method: %q is not one of token, approle, jwt, github, jwt_file", a.Method)
	}
	for _, k := range authKeyOrder {
		if p := "vault.auth." + k; c.has(p) && !slices.Contains(keys, k) {
			return c.errorf(p, "%s: not used by method %s", p, a.Method)
		}
	}
	if a.Path != "" && !mountRE.MatchString(a.Path) {
		return c.errorf("vault.auth.path", "vault.auth.path: %q is not a mount path such as \"jwt\"", a.Path)
	}
	// vault.auth.role may come from KILN_VAULT_ROLE (the CI templates' vault-role input)
	// instead: the step checks that one of them names it.
	if a.Method == AuthJWTFile && a.JWTFile == "" {
		return c.required("vault.auth.jwt_file")
	}
	if a.Method == AuthAppRole && c.has("vault.auth.secret_id_env") && c.has("vault.auth.secret_id_file") {
		return c.errorf("vault.auth.secret_id_file", "vault.auth: give one of secret_id_env and secret_id_file")
	}
	for _, e := range []struct{ key, value string }{
		{"token_env", a.TokenEnv}, {"role_id_env", a.RoleIDEnv}, {"secret_id_env", a.SecretIDEnv},
	} {
		if e.value != "" && !envVarRE.MatchString(e.value) {
			return c.errorf("vault.auth."+e.key, "vault.auth.%s: %q is not an environment variable name", e.key, e.value)
		}
	}
	return nil
}

// validateSecrets checks each mapping, then that no step gets one variable twice.
func (c *Config) validateSecrets(secrets []Secret) error {
	given := map[string]string{} // step + "\x00" + target -> the secret that gives it
	imageVars := map[string]string{}
	for _, name := range c.EnvironmentNames() {
		if _, ok := imageVars[c.Environments[name].ImageVar]; !ok {
			imageVars[c.Environments[name].ImageVar] = name
		}
	}
	for i, s := range secrets {
		p := index("vault.secrets", i)
		if err := c.validateSecret(p, s); err != nil {
			return err
		}
		if env, ok := imageVars[s.TFVar]; ok && s.TFVar != "" {
			return c.errorf(p+".tf_var", "%s.tf_var: %s is environment %s's image variable; kiln sets it", p, s.TFVar, env)
		}
		for _, t := range []struct{ key, target string }{
			{"env", s.Env}, {"env_prefix", s.EnvPrefix}, {"tf_var", s.TFVar},
		} {
			if t.target == "" {
				continue
			}
			for _, step := range s.Steps {
				k := step + "\x00" + t.key + "\x00" + t.target
				if first, dup := given[k]; dup {
					return c.errorf(p+"."+t.key, "%s.%s: %s is already given to step %s by %s", p, t.key, t.target, step, first)
				}
				given[k] = p
			}
		}
	}
	return nil
}

func (c *Config) validateSecret(p string, s Secret) error {
	switch s.Engine {
	case EngineKV2, EngineKV1, EngineDynamic:
	default:
		return c.errorf(p+".engine", "%s.engine: %q is not one of kv2, kv1, dynamic", p, s.Engine)
	}
	if s.Path == "" {
		return c.required(p + ".path")
	}
	if strings.HasPrefix(s.Path, "/") || strings.ContainsAny(s.Path, " \t\r\n") {
		return c.errorf(p+".path", "%s.path: %q is not a Vault path such as \"kv/data/ci/aws\"", p, s.Path)
	}
	if len(s.Steps) == 0 {
		return c.required(p + ".steps")
	}
	for j, st := range s.Steps {
		if !slices.Contains(StepNames, st) {
			return c.errorf(index(p+".steps", j), "%s.steps: %q is not one of %s", p, st, strings.Join(StepNames, ", "))
		}
	}
	if len(s.Params) > 0 && s.Engine != EngineDynamic {
		return c.errorf(p+".params", "%s.params: only used with engine dynamic", p)
	}
	if s.EnvPrefix != "" {
		return c.validatePrefixSecret(p, s)
	}
	if s.Env == "" {
		return c.required(p + ".env")
	}
	if err := c.validateEnvName(p+".env", s.Env); err != nil {
		return err
	}
	if s.Field == "" {
		return c.required(p + ".field")
	}
	if s.TFVar != "" && !identRE.MatchString(s.TFVar) {
		return c.errorf(p+".tf_var", "%s.tf_var: %q is not a valid Terraform variable name", p, s.TFVar)
	}
	return nil
}

// validatePrefixSecret checks a dynamic secret whose every field becomes a variable.
func (c *Config) validatePrefixSecret(p string, s Secret) error {
	if s.Engine != EngineDynamic {
		return c.errorf(p+".env_prefix", "%s.env_prefix: only used with engine dynamic", p)
	}
	for _, k := range []string{"env", "field", "tf_var", "file"} {
		if c.has(p + "." + k) {
			return c.errorf(p+"."+k, "%s.%s: not used with env_prefix, which maps every field", p, k)
		}
	}
	return c.validateEnvName(p+".env_prefix", s.EnvPrefix)
}

// validateEnvName checks a variable name (or prefix) a secret sets: a valid name that
// does not reach into kiln's own KILN_ settings.
func (c *Config) validateEnvName(path, name string) error {
	if !envVarRE.MatchString(name) {
		return c.errorf(path, "%s: %q is not an environment variable name", path, name)
	}
	if strings.HasPrefix(strings.ToUpper(name), "KILN_") {
		return c.errorf(path, "%s: %q may not start with KILN_, which is kiln's own", path, name)
	}
	if r, ok := childenv.Reserving(name, strings.HasSuffix(path, ".env_prefix")); ok {
		return c.errorf(path, "%s: %q: kiln sets %s itself for its child tools", path, name, r)
	}
	return nil
}

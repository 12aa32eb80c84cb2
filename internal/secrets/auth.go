package secrets

import (
	"context"
	"net/http"
	"os"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Auth methods.
const (
	MethodToken   = "token"
	MethodAppRole = "approle"
	MethodJWT     = "jwt"
	MethodGitHub  = "github"
	MethodJWTFile = "jwt_file"
)

// Env vars GitHub Actions gives a job that may request OIDC tokens: the child must not.
var githubOIDCEnv = []string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"}

// withDefaults fills the defaults of a.
func withDefaults(a Auth) Auth {
	if a.Method == "" {
		a.Method = MethodToken
	}
	switch a.Method {
	case MethodToken:
		a.TokenEnv = or(a.TokenEnv, "VAULT_TOKEN")
	case MethodAppRole:
		a.Path = or(a.Path, "approle")
		a.RoleIDEnv = or(a.RoleIDEnv, "VAULT_ROLE_ID")
		a.SecretIDEnv = or(a.SecretIDEnv, "VAULT_SECRET_ID")
	case MethodJWT:
		a.TokenEnv = or(a.TokenEnv, "VAULT_ID_TOKEN")
	}
	if a.Method != MethodToken {
		a.Path = strings.Trim(or(a.Path, "jwt"), "/")
	}
	return a
}

// unsetNames lists the env vars holding credentials for a: VAULT_TOKEN always, since the
// child must never act as the pipeline's Vault identity.
func unsetNames(a Auth) []string {
	names := []string{"VAULT_TOKEN"}
	switch a.Method {
	case MethodToken, MethodJWT:
		names = append(names, a.TokenEnv)
	case MethodAppRole:
		names = append(names, a.RoleIDEnv, a.SecretIDEnv)
	case MethodGitHub:
		names = append(names, githubOIDCEnv...)
	}
	return dedupe(names)
}

// describe names the login in messages: "auth/jwt role kiln-ci", "token from VAULT_TOKEN".
func describe(a Auth) string {
	if a.Method == MethodToken {
		return "token from " + a.TokenEnv
	}
	if a.Role == "" {
		return "auth/" + a.Path
	}
	return "auth/" + a.Path + " role " + a.Role
}

// login authenticates c as a says; it reports whether kiln owns the resulting token (it
// logged in for it) and the token's accessor.
func login(ctx context.Context, c *vaultClient, a Auth, o Options) (own bool, accessor string, err error) {
	what := describe(a)
	c.who = what
	switch a.Method {
	case MethodToken:
		acc, err := tokenLogin(ctx, c, a, o.Getenv)
		return false, acc, err
	case MethodAppRole:
		return approleLogin(ctx, c, a, o.Getenv)
	case MethodJWT:
		jwt, err := credential(o.Getenv(a.TokenEnv), a.TokenEnv, what)
		if err != nil {
			return false, "", err
		}
		return jwtLogin(ctx, c, a, jwt)
	case MethodGitHub:
		if o.GitHubIDToken == nil {
			return false, "", exitcode.New(exitcode.Usage, "vault: login with %s: GitHub OIDC is only available in GitHub Actions", what)
		}
		jwt, err := o.GitHubIDToken(ctx, a.Audience)
		if err != nil {
			return false, "", exitcode.New(exitcode.VaultDenied, "vault: login with %s: GitHub OIDC token for audience %q"+
				" (does the job have `permissions: id-token: write`?): %w", what, a.Audience, err)
		}
		return jwtLogin(ctx, c, a, jwt)
	case MethodJWTFile:
		b, err := os.ReadFile(a.JWTFile)
		if err != nil {
			return false, "", exitcode.New(exitcode.VaultDenied, "vault: login with %s: read JWT file: %w", what, err)
		}
		jwt, err := credential(string(b), a.JWTFile, what)
		if err != nil {
			return false, "", err
		}
		return jwtLogin(ctx, c, a, jwt)
	}
	return false, "", exitcode.New(exitcode.Usage, "vault: unknown auth method %q (token, approle, jwt, github, jwt_file)", a.Method)
}

// tokenLogin uses the token the environment gives and looks it up, which catches an
// expired token early; a token whose policies do not allow the lookup is used anyway.
func tokenLogin(ctx context.Context, c *vaultClient, a Auth, getenv func(string) string) (string, error) {
	tok, err := credential(getenv(a.TokenEnv), a.TokenEnv, describe(a))
	if err != nil {
		return "", err
	}
	c.creds.Add(tok)
	c.api.SetToken(tok)
	self, err := c.api.Auth().Token().LookupSelfWithContext(ctx)
	switch {
	case isStatus(err, http.StatusForbidden):
		c.unverified = true // expired, or no default policy: reads will tell
		return "", nil
	case err != nil:
		return "", c.fail(ctx, opLogin, "check "+describe(a), err)
	}
	acc, _ := self.Data["accessor"].(string)
	return acc, nil
}

// credential trims a credential read from source and refuses an empty one.
func credential(v, source, what string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		hint := ""
		if source == "VAULT_ID_TOKEN" {
			hint = " (GitLab: declare it under id_tokens: with the aud Vault's role expects)"
		}
		return "", exitcode.New(exitcode.VaultDenied, "vault: login with %s: %s is empty%s", what, source, hint)
	}
	return v, nil
}

func approleLogin(ctx context.Context, c *vaultClient, a Auth, getenv func(string) string) (bool, string, error) {
	what := describe(a)
	roleID, err := credential(getenv(a.RoleIDEnv), a.RoleIDEnv, what)
	if err != nil {
		return false, "", err
	}
	raw, source := getenv(a.SecretIDEnv), a.SecretIDEnv
	if a.SecretIDFile != "" {
		b, err := os.ReadFile(a.SecretIDFile)
		if err != nil {
			return false, "", exitcode.New(exitcode.VaultDenied, "vault: login with %s: read secret id file: %w", what, err)
		}
		raw, source = string(b), a.SecretIDFile
	}
	secretID, err := credential(raw, source, what)
	if err != nil {
		return false, "", err
	}
	c.creds.Add(roleID)
	c.creds.Add(secretID)
	return loginWrite(ctx, c, a, map[string]any{"role_id": roleID, "secret_id": secretID})
}

func jwtLogin(ctx context.Context, c *vaultClient, a Auth, jwt string) (bool, string, error) {
	c.creds.Add(jwt)
	body := map[string]any{"jwt": jwt}
	if a.Role != "" {
		body["role"] = a.Role
	}
	return loginWrite(ctx, c, a, body)
}

// loginWrite posts body to auth/<path>/login and sets the token it returns.
func loginWrite(ctx context.Context, c *vaultClient, a Auth, body map[string]any) (bool, string, error) {
	what := describe(a)
	sec, err := c.api.Logical().WriteWithContext(ctx, "auth/"+a.Path+"/login", body)
	if err != nil {
		return false, "", c.fail(ctx, opLogin, "login with "+what, err)
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		return false, "", exitcode.New(exitcode.VaultDenied, "vault: login with %s: no token in Vault's answer", what)
	}
	c.creds.Add(sec.Auth.ClientToken)
	c.api.SetToken(sec.Auth.ClientToken)
	c.login = sec
	return true, sec.Auth.Accessor, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

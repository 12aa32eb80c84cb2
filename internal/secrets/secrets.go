// Package secrets fetches the Vault secrets a kiln step needs and hands them over for the
// child tool only: environment variables, Terraform variables and 0600 files. It logs in
// with the method kiln.yaml names (token, AppRole, JWT, GitHub Actions OIDC, JWT file),
// reads KV v2, KV v1 and dynamic secrets, and on Close revokes the leases it created and
// the token it logged in for.
//
// Errors carry kiln's exit codes: Vault unreachable or sealed is exitcode.VaultUnavailable,
// a refused login, an expired token or a path the token may not read is
// exitcode.VaultDenied. Messages name the auth path, role and secret path, never a token
// or a secret value. Transient errors (connection errors, 412, 429, 5xx but a sealed 503)
// are retried a bounded number of times by the api client.
//
// Renewal: while the step runs, the token kiln logged in for and the renewable leases it
// created are renewed (api.LifetimeWatcher), up to their max TTL; a token given through
// VAULT_TOKEN is not. Close stops renewing before it revokes.
//
// Revocation: a token kiln logged in for (approle, jwt, github, jwt_file) is revoked by
// Close, and with it every lease it created. A token given through VAULT_TOKEN belongs to
// the pipeline and is not revoked; the leases kiln created with it are, which needs
// "update" on sys/leases/revoke in its policy.
package secrets

import (
	"context"
	"io"
	"sync"
)

// Config is the vault: block of kiln.yaml (internal/config converts its own type into it).
type Config struct {
	// Address is Vault's URL; when empty, VAULT_ADDR. kiln.yaml wins over the environment.
	Address string
	// Namespace is the Vault Enterprise namespace; when empty, VAULT_NAMESPACE.
	Namespace string
	// Auth says how kiln logs in.
	Auth Auth
	// Secrets maps Vault secrets to what each step's tool receives.
	Secrets []Mapping
}

// Auth is how kiln logs in to Vault.
type Auth struct {
	// Method is token (default), approle, jwt, github or jwt_file.
	Method string
	// Path is the auth mount: default approle for approle, jwt for jwt, github, jwt_file.
	Path string
	// Role is the jwt role to log in as (approle: a name shown in messages only).
	Role string
	// TokenEnv names the env var holding the token (token: VAULT_TOKEN) or the JWT (jwt:
	// VAULT_ID_TOKEN, GitLab's id_tokens).
	TokenEnv string
	// Audience is the audience GitHub's OIDC token is requested for (github).
	Audience string
	// RoleIDEnv names the env var with the AppRole role id (default VAULT_ROLE_ID).
	RoleIDEnv string
	// SecretIDEnv names the env var with the AppRole secret id (default VAULT_SECRET_ID).
	SecretIDEnv string
	// SecretIDFile is a file holding the AppRole secret id; it wins over SecretIDEnv.
	SecretIDFile string
	// JWTFile is the file holding the JWT (jwt_file: Jenkins OIDC plugin, Kubernetes).
	JWTFile string
}

// Mapping is one secret handed to the steps that list it.
type Mapping struct {
	// Env is the env var that receives the value (or the file's path when File is set).
	Env string
	// Path is the Vault path. KV v2 takes "kv/data/x" or "kv/x" (data/ is inserted after
	// the first segment, so a mount with a slash in its name needs the data/ form).
	Path string
	// Field is the field of the secret to hand over; dynamic secrets may use EnvPrefix.
	Field string
	// Steps lists the steps that receive the secret; empty means every step.
	Steps []string
	// File puts the value in a 0600 file; the env var (and TFVar) get its path.
	File bool
	// Engine is kv2 (default), kv1 or dynamic.
	Engine string
	// EnvPrefix maps every field of the secret to PREFIX+FIELD (upper case, [A-Z0-9_]).
	EnvPrefix string
	// TFVar is the Terraform variable that receives the value, if any.
	TFVar string
	// Params makes a dynamic secret a write of these parameters instead of a read, as
	// pki/issue/<role> (common_name) or aws/sts/<role> need.
	Params map[string]string
}

// Options is what Open needs; everything it touches outside Vault is injected.
type Options struct {
	// Config is the vault: block.
	Config Config
	// Step is the step being run ("bake", "deploy-dev", ...): only its mappings are fetched.
	Step string
	// Getenv reads VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CAPATH and
	// the credential env vars Auth names.
	Getenv func(string) string
	// GitHubIDToken returns a GitHub Actions OIDC token for an audience (github method).
	GitHubIDToken func(ctx context.Context, audience string) (string, error)
	// TempDir is where File secrets go, in a 0700 directory removed by Close.
	TempDir string
	// Log receives progress lines; they name paths and env vars, never a token or value.
	Log io.Writer
	// Login logs in even when no secret is mapped to Step: the step uses Vault itself
	// (Session.API), as kiln-test does to sign with a transit key.
	Login bool
}

// Session is the secrets of one step. The child tool gets Env (and TFVars, through a
// 0600 var file); it never gets kiln's Vault token.
type Session struct {
	// Env is the env vars for the child tool: secret values, or file paths for File ones.
	Env map[string]string
	// TFVars maps Terraform variable names to values.
	TFVars map[string]string
	// Values is every secret value and credential kiln handled, for the redactor and CI
	// masking.
	Values []string
	// Unset names the env vars that hold Vault credentials (VAULT_TOKEN, the JWT, AppRole
	// ids, GitHub's OIDC request token): the runner removes them from the child's env.
	Unset []string
	// Accessor is the accessor of the token kiln used, for logs and audits (not a secret:
	// it cannot authenticate).
	Accessor string

	client   *vaultClient
	own      bool     // kiln logged in for the token, so Close revokes it
	leases   []string // lease ids of dynamic secrets, revoked by Close
	tempBase string   // Options.TempDir
	dir      string   // the 0700 directory of File secrets, once created
	log      io.Writer
	closed   bool

	renew *renewals  // the watchers renewing the token and leases, once one started
	logMu sync.Mutex // log is written from the watchers' goroutines too
}

package config

import "time"

// Defaults of kiln.yaml schema version 1; they are part of the contract.
const (
	DefaultImageName       = "{{ .Family }}-{{ .Timestamp }}-{{ .ShortSHA }}"
	DefaultRegistryType    = "local"
	DefaultRegistryPath    = ".kiln/images"
	DefaultImageVar        = "image_id"
	DefaultLockTimeout     = "0s"
	DefaultTestEnvironment = "dev"
	DefaultCheckTimeout    = 2 * time.Minute
	DefaultCheckInterval   = 2 * time.Second
	DefaultHTTPMethod      = "GET"
	DefaultHTTPStatus      = 200
	DefaultPromoteFrom     = "master"
	DefaultPromoteTo       = "stable"
	DefaultPromoteEnv      = "prod"
	DefaultGitLabTestJob   = "test"
	DefaultGitLabArtifact  = "kiln-image.json"
	DefaultSecretEngine    = EngineKV2
)

// The Vault secret engines a Secret may name.
const (
	EngineKV2     = "kv2"
	EngineKV1     = "kv1"
	EngineDynamic = "dynamic"
)

// The Vault login methods VaultAuth.Method may name.
const (
	AuthToken   = "token"    // a token from an environment variable
	AuthAppRole = "approle"  // role id and secret id from environment variables or a file
	AuthJWT     = "jwt"      // a CI-issued JWT (GitLab id_tokens) from an environment variable
	AuthGitHub  = "github"   // a GitHub Actions OIDC token, requested for Audience
	AuthJWTFile = "jwt_file" // a JWT read from a file (Jenkins, Kubernetes)
)

// authDefaults are the VaultAuth fields each method gets when kiln.yaml leaves them empty.
var authDefaults = map[string]VaultAuth{
	AuthToken:   {TokenEnv: "VAULT_TOKEN"},
	AuthAppRole: {Path: "approle", RoleIDEnv: "VAULT_ROLE_ID", SecretIDEnv: "VAULT_SECRET_ID"},
	AuthJWT:     {Path: "jwt", TokenEnv: "VAULT_ID_TOKEN"},
	AuthGitHub:  {Path: "jwt"},
	AuthJWTFile: {Path: "jwt"},
}

// setDefaults fills every key kiln.yaml left empty that has a default.
func (c *Config) setDefaults() {
	def(&c.Image.Name, DefaultImageName)
	def(&c.Registry.Type, DefaultRegistryType)
	if c.Registry.Type == DefaultRegistryType {
		def(&c.Registry.Path, DefaultRegistryPath)
	}
	for name, e := range c.Environments {
		if e.GitLabState != "" {
			def(&e.Workspace, "default")
		}
		def(&e.Workspace, name)
		def(&e.ImageVar, DefaultImageVar)
		def(&e.LockTimeout, DefaultLockTimeout)
		c.Environments[name] = e
	}
	def(&c.Test.Environment, DefaultTestEnvironment)
	for i := range c.Test.Checks {
		ch := &c.Test.Checks[i]
		defDuration(&ch.Timeout, DefaultCheckTimeout)
		defDuration(&ch.Interval, DefaultCheckInterval)
		if ch.HTTP != nil {
			def(&ch.HTTP.Method, DefaultHTTPMethod)
			if ch.HTTP.Status == 0 {
				ch.HTTP.Status = DefaultHTTPStatus
			}
		}
	}
	def(&c.Promote.From, DefaultPromoteFrom)
	def(&c.Promote.To, DefaultPromoteTo)
	def(&c.Promote.Environment, DefaultPromoteEnv)
	c.setLifecycleDefaults()
	c.setStrategyDefaults()
	def(&c.Promote.GitLab.TestJob, DefaultGitLabTestJob)
	def(&c.Promote.GitLab.ArtifactPath, DefaultGitLabArtifact)
	if c.Attest != nil {
		c.Attest.setDefaults()
	}
	if c.Vault != nil {
		c.Vault.Auth.setDefaults()
		for i := range c.Vault.Secrets {
			def(&c.Vault.Secrets[i].Engine, DefaultSecretEngine)
		}
	}
}

// setDefaults fills the fields the chosen method needs and kiln.yaml left empty.
func (a *VaultAuth) setDefaults() {
	d := authDefaults[a.Method]
	def(&a.Path, d.Path)
	def(&a.TokenEnv, d.TokenEnv)
	def(&a.RoleIDEnv, d.RoleIDEnv)
	if a.SecretIDFile == "" {
		def(&a.SecretIDEnv, d.SecretIDEnv)
	}
}

// def sets *s to v when it is empty.
func def(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// defDuration sets *d to v when it is zero.
func defDuration(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

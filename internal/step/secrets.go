package step

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/redact"
	"github.com/kiln-ci/kiln/internal/secrets"
)

// revokeTimeout bounds the revocation of leases and the token when a step ends, whatever
// state its own context is in.
const revokeTimeout = 15 * time.Second

// openSecrets fetches the step's secrets from Vault when kiln.yaml has a vault block: the
// values go to the child tools' environment (and Terraform variables), every value is
// redacted from kiln's output and masked in the CI, and the credentials kiln used are kept
// from the child. The returned function revokes the leases and kiln's token and removes the
// secret files; it runs on every exit path.
func openSecrets(ctx context.Context, r *Run, stepName string, red *redact.Redactor) (func(), error) {
	v := r.Config.Vault
	if v == nil {
		return func() {}, nil
	}
	gh := githubactions.New(githubactions.WithGetenv(r.Env.Getenv))
	cfg := VaultConfig(v)
	overrideAuth(&cfg.Auth, r.Env.Getenv)
	if m := cfg.Auth.Method; m != config.AuthToken && m != config.AuthAppRole && cfg.Auth.Role == "" {
		return nil, exitcode.New(exitcode.Usage, "%s: vault.auth.role is not set: name the Vault role in kiln.yaml or in KILN_VAULT_ROLE (the CI templates' vault-role input)", r.Config.File)
	}
	// Like every file kiln.yaml names, these are relative to it (not to the working directory).
	for _, p := range []*string{&cfg.Auth.SecretIDFile, &cfg.Auth.JWTFile} {
		if *p != "" {
			*p = r.Config.Path(*p)
		}
	}
	s, err := secrets.Open(ctx, secrets.Options{
		Config:        cfg,
		Step:          stepName,
		Getenv:        r.Env.Getenv,
		GitHubIDToken: gh.GetIDToken,
		TempDir:       os.TempDir(),
		Log:           r.Log,
		Login:         usesTransit(r.Config, stepName),
	})
	if err != nil {
		return func() {}, err
	}
	for _, val := range s.Values {
		red.Add(val)
	}
	r.CI.Mask(maskable(red.Values()))
	for k, val := range s.Env {
		r.ChildEnv[k] = val
	}
	r.Vault = s.API()
	for k, val := range s.TFVars {
		r.TFVars[k] = val
	}
	r.unset = append(r.unset, s.Unset...)
	// The credentials are used: no process kiln starts may inherit them, not even one
	// (git, ssh) started without ChildEnviron.
	if r.Env.Unsetenv != nil {
		for _, k := range s.Unset {
			if err := r.Env.Unsetenv(k); err != nil {
				s.Close(ctx)
				return func() {}, fmt.Errorf("vault: remove %s from the environment: %w", k, err)
			}
		}
	}
	return func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
		defer cancel()
		if err := s.Close(cctx); err != nil {
			fmt.Fprintf(r.Log, "%s: warning: %v\n", r.binary, err)
		}
	}, nil
}

// usesTransit reports whether the step uses Vault's transit engine itself: kiln-test signs
// attestations; promote and rollback verify them through Vault when kiln.yaml gives no
// public key; promote seals and opens the reviewed plan with promote.plan_key.
func usesTransit(c *config.Config, stepName string) bool {
	if stepName == "promote" && c.Promote.PlanKey != "" {
		return true // the transit key that seals the reviewed plan (docs/reviewed-plan.md)
	}
	a := c.Attest
	if a == nil || a.Transit == nil {
		return false
	}
	return stepName == "test" || (a.PublicKey == "" && (stepName == "promote" || stepName == "rollback"))
}

// overrideAuth applies the KILN_VAULT_* variables CI templates set from their inputs; an
// empty variable leaves kiln.yaml's value.
func overrideAuth(a *secrets.Auth, getenv func(string) string) {
	for env, field := range map[string]*string{
		"KILN_VAULT_AUTH_METHOD": &a.Method,
		"KILN_VAULT_ROLE":        &a.Role,
		"KILN_VAULT_AUDIENCE":    &a.Audience,
	} {
		if v := getenv(env); v != "" {
			*field = v
		}
	}
}

// VaultConfig converts kiln.yaml's vault block for the secrets package.
func VaultConfig(v *config.Vault) secrets.Config {
	c := secrets.Config{Address: v.Address, Namespace: v.Namespace, Auth: secrets.Auth{
		Method: v.Auth.Method, Path: v.Auth.Path, Role: v.Auth.Role, TokenEnv: v.Auth.TokenEnv,
		Audience: v.Auth.Audience, RoleIDEnv: v.Auth.RoleIDEnv, SecretIDEnv: v.Auth.SecretIDEnv,
		SecretIDFile: v.Auth.SecretIDFile, JWTFile: v.Auth.JWTFile,
	}}
	for _, m := range v.Secrets {
		c.Secrets = append(c.Secrets, secrets.Mapping{Env: m.Env, Path: m.Path, Field: m.Field, Steps: m.Steps,
			File: m.File, Engine: m.Engine, EnvPrefix: m.EnvPrefix, TFVar: m.TFVar, Params: m.Params})
	}
	return c
}

// ChildEnviron is the environment a child tool inherits: the process's, less the Vault
// credentials kiln used for itself.
func (r *Run) ChildEnviron() []string {
	drop := map[string]bool{}
	for _, k := range r.unset {
		drop[k] = true
	}
	var out []string
	for _, kv := range r.Env.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return out
}

// maskable leaves out values under 4 characters: GitHub masks a value inside every word of
// the log, so masking "ec" (a key type) would garble the whole job log. kiln's own redactor
// still hides such values where they stand as words.
func maskable(values []string) []string {
	var out []string
	for _, v := range values {
		if len([]rune(v)) >= 4 {
			out = append(out, v)
		}
	}
	return out
}

// Git runs a read-only git command in kiln.yaml's directory with the child environment and
// returns its trimmed output, "" on any failure (not a checkout, no git).
func (r *Run) Git(ctx context.Context, args ...string) string {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.Config.Dir}, args...)...)
	cmd.Env = r.ChildEnviron()
	var out bytes.Buffer
	cmd.Stdout = &out
	if cmd.Run() != nil {
		return ""
	}
	return strings.TrimSpace(out.String())
}

// GitDubious reports whether git refuses kiln.yaml's repository as of "dubious ownership"
// (owned by another user than the one running kiln, as in many CI containers).
func (r *Run) GitDubious(ctx context.Context) bool {
	cmd := exec.CommandContext(ctx, "git", "-C", r.Config.Dir, "rev-parse", "HEAD")
	cmd.Env = r.ChildEnviron()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	return cmd.Run() != nil && strings.Contains(errb.String(), "dubious ownership")
}

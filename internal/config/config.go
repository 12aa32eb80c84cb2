// Package config reads kiln.yaml (schema version 1): strict decoding with line numbers,
// defaults and validation. Every error it returns is a *Error naming the file and the line
// of the offending node, carrying exit code 2 (exitcode.Usage).
package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Config is a decoded, defaulted and validated kiln.yaml.
type Config struct {
	Version      int                    `yaml:"version"`
	Image        Image                  `yaml:"image"`
	Registry     Registry               `yaml:"registry"`
	Packer       Packer                 `yaml:"packer"`
	Environments map[string]Environment `yaml:"environments"`
	Test         Test                   `yaml:"test"`
	Promote      Promote                `yaml:"promote"`
	Vault        *Vault                 `yaml:"vault"`
	Lifecycle    *Lifecycle             `yaml:"lifecycle"` // nil: kiln-rotate has nothing to do
	Attest       *Attest                `yaml:"attest"`    // nil: records are tamper-evident only

	File string `yaml:"-"` // path of kiln.yaml as given
	Dir  string `yaml:"-"` // absolute directory of kiln.yaml; relative paths resolve against it

	lines map[string]int // line of every key seen, by dotted path ("" is the top level)
}

// Image names the images kiln bakes.
type Image struct {
	Family string `yaml:"family"` // required; see ValidateImageName
	Name   string `yaml:"name"`   // text/template, default DefaultImageName
	Base   string `yaml:"base"`   // the base image, recorded and passed to Packer as base_image
}

// Registry says where images are kept.
type Registry struct {
	Type          string `yaml:"type"`           // local (default) | gcp | aws | oci
	Path          string `yaml:"path"`           // local only; default .kiln/images
	Project       string `yaml:"project"`        // gcp only; default $GOOGLE_CLOUD_PROJECT
	Region        string `yaml:"region"`         // aws only; default $AWS_REGION
	FamilyPointer string `yaml:"family_pointer"` // aws only: tag (default) | ssm
	SSMParameter  string `yaml:"ssm_parameter"`  // aws with ssm: default /kiln/families/<family>
	// The oci keys (registry_oci.go): the repository that holds the images, host[:port]/path
	// (KILN_REGISTRY_REPOSITORY overrides it), a CA bundle for a private CA, relative to
	// kiln.yaml, and plain HTTP for a registry on the loopback interface.
	Repository string `yaml:"repository"`
	CAFile     string `yaml:"ca_file"`
	PlainHTTP  bool   `yaml:"plain_http"`
}

// Packer says how to bake.
type Packer struct {
	Template string            `yaml:"template"` // required: a file or a directory
	Vars     map[string]string `yaml:"vars"`
	VarFiles []string          `yaml:"var_files"`
	Build    string            `yaml:"build"` // the build whose artifact is the image, e.g. "file.image"
}

// Environment is one Terraform deployment target.
type Environment struct {
	Terraform     string            `yaml:"terraform"`      // required: a directory
	Workspace     string            `yaml:"workspace"`      // default: the environment's name
	ImageVar      string            `yaml:"image_var"`      // default image_id
	Vars          map[string]any    `yaml:"vars"`           // any YAML value; maps have string keys
	VarFiles      []string          `yaml:"var_files"`      // relative to kiln.yaml
	BackendConfig map[string]string `yaml:"backend_config"` // terraform init -backend-config
	LockTimeout   string            `yaml:"lock_timeout"`   // Go/Terraform duration, default "0s"
	// GitLabState names a GitLab-managed Terraform state: in a GitLab CI job kiln points
	// Terraform's http backend at it through TF_HTTP_* variables. The http backend has no
	// workspaces, so the workspace is "default".
	GitLabState string `yaml:"gitlab_state"`
}

// Test lists the checks kiln-test runs.
type Test struct {
	Environment string  `yaml:"environment"` // default dev
	Checks      []Check `yaml:"checks"`
}

// Check is one test; exactly one of HTTP, TCP, SSH, Goss and Immutable is set.
type Check struct {
	Name      string          `yaml:"name"`
	HTTP      *HTTPCheck      `yaml:"http"`
	TCP       *TCPCheck       `yaml:"tcp"`
	SSH       *SSHCheck       `yaml:"ssh"`                         // see check_ssh.go
	Goss      *GossCheck      `yaml:"goss"`                        // see check_ssh.go
	Immutable *ImmutableCheck `yaml:"immutable" json:",omitempty"` // see check_immutable.go
	Timeout   Duration        `yaml:"timeout"`                     // default 2m
	Interval  Duration        `yaml:"interval"`                    // default 2s
	// Environments are the environments the check runs in (kiln-test --environment); nil
	// means test.environment alone. Left out of the digest when nil, so that a test block
	// without it digests as it did before the key existed.
	Environments []string `yaml:"environments" json:",omitempty"`
}

// RunsIn reports whether the check runs in environment env, where testEnv is
// test.environment.
func (ch Check) RunsIn(env, testEnv string) bool {
	if ch.Environments == nil {
		return env == testEnv
	}
	for _, e := range ch.Environments {
		if e == env {
			return true
		}
	}
	return false
}

// ChecksFor returns the checks that run in environment env, in kiln.yaml's order.
func (t Test) ChecksFor(env string) []Check {
	var out []Check
	for _, ch := range t.Checks {
		if ch.RunsIn(env, t.Environment) {
			out = append(out, ch)
		}
	}
	return out
}

// HTTPCheck passes when a request gets the wanted status (and body).
type HTTPCheck struct {
	URL          string            `yaml:"url"`    // a template over the environment's outputs
	Method       string            `yaml:"method"` // default GET
	Status       int               `yaml:"status"` // default 200
	BodyContains string            `yaml:"body_contains"`
	Headers      map[string]string `yaml:"headers"`
}

// TCPCheck passes when a TCP connection opens.
type TCPCheck struct {
	Address string `yaml:"address"` // host:port, a template over the environment's outputs
}

// Promote says which branches and environment promotion concerns.
type Promote struct {
	From        string        `yaml:"from"`        // default master
	To          string        `yaml:"to"`          // default stable
	Environment string        `yaml:"environment"` // default prod
	GitLab      PromoteGitLab `yaml:"gitlab"`
	// RequireReviewedPlan makes kiln-promote on promote.to apply only the plan reviewed in
	// the merge request, and refuse (exit 8) a promotion that would need a new one
	// (promote_plan.go, docs/reviewed-plan.md). Default false: it plans again and says why.
	RequireReviewedPlan bool `yaml:"require_reviewed_plan"`
	// PlanKey names the Vault transit key (KEY, or MOUNT/KEY; mount transit) that seals the
	// reviewed plan; empty for the KILN_PLAN_KEY variable.
	PlanKey string `yaml:"plan_key"`
	// Strategy is how the promote environment moves to the new image (strategy.go).
	Strategy Strategy `yaml:"strategy"`
}

// PromoteGitLab says where kiln-promote finds the tested record in GitLab mode: in the
// artifacts of which job of the promote.from pipeline, under which path.
type PromoteGitLab struct {
	TestJob      string `yaml:"test_job"`      // default test
	ArtifactPath string `yaml:"artifact_path"` // default kiln-image.json; relative to the project directory
}

// Vault says where secrets come from and which step gets which.
type Vault struct {
	Address   string    `yaml:"address"` // optional: VAULT_ADDR may give it
	Namespace string    `yaml:"namespace"`
	Auth      VaultAuth `yaml:"auth"`
	Secrets   []Secret  `yaml:"secrets"`
}

// VaultAuth says how kiln logs in to Vault; which fields matter depends on Method.
type VaultAuth struct {
	Method       string `yaml:"method"` // token | approle | jwt | github | jwt_file
	Path         string `yaml:"path"`   // mount path; default approle or jwt by method
	Role         string `yaml:"role"`
	TokenEnv     string `yaml:"token_env"` // token: VAULT_TOKEN; jwt: VAULT_ID_TOKEN
	Audience     string `yaml:"audience"`  // github: the OIDC token's audience
	RoleIDEnv    string `yaml:"role_id_env"`
	SecretIDEnv  string `yaml:"secret_id_env"`
	SecretIDFile string `yaml:"secret_id_file"`
	JWTFile      string `yaml:"jwt_file"`
}

// Secret maps a Vault secret to an environment variable (or a file) for some steps.
type Secret struct {
	Env       string   `yaml:"env"`
	Path      string   `yaml:"path"`
	Field     string   `yaml:"field"`
	Steps     []string `yaml:"steps"`      // required; each one of StepNames
	File      bool     `yaml:"file"`       // write the value to a file; the env var holds its path
	Engine    string   `yaml:"engine"`     // kv2 (default) | kv1 | dynamic
	EnvPrefix string   `yaml:"env_prefix"` // dynamic: every field -> PREFIX+UPPER(field)
	// Params makes a dynamic secret a write of these parameters (pki/issue/<role> needs
	// common_name, aws/sts/<role> a ttl) instead of a read.
	Params map[string]string `yaml:"params"`
	TFVar  string            `yaml:"tf_var"` // optional Terraform variable to receive it
}

// Duration is a time.Duration written as "30s" or "2m" in kiln.yaml.
type Duration struct{ time.Duration }

// MarshalText writes d as "2m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d from "30s" or "2m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("parse duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// StepNames are the steps a secret may be given to, in pipeline order.
var StepNames = []string{"validate", "bake", "test", "deploy-dev", "promote", "destroy-dev", "rotate", "rollback", "sweep", "revoke", "drift"}

// Path resolves rel against the directory of kiln.yaml; an absolute path stays as it is.
func (c *Config) Path(rel string) string {
	if filepath.IsAbs(rel) {
		return filepath.Clean(rel)
	}
	return filepath.Join(c.Dir, rel)
}

// Env returns the environment called name, with defaults applied.
func (c *Config) Env(name string) (Environment, error) {
	if e, ok := c.Environments[name]; ok {
		return e, nil
	}
	return Environment{}, c.errorf("environments", "no environment %q in environments (have %s)",
		name, strings.Join(c.EnvironmentNames(), ", "))
}

// EnvironmentNames returns the names of the environments in the order kiln.yaml lists them.
func (c *Config) EnvironmentNames() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		li, lj := c.Line("environments."+names[i]), c.Line("environments."+names[j])
		if li != lj {
			return li < lj
		}
		return names[i] < names[j]
	})
	return names
}

// Line returns the line of the key at the dotted path (such as "image.name",
// "environments.dev.terraform" or "test.checks[0].http"), or of its nearest parent present
// in the file; 0 if none is known.
func (c *Config) Line(path string) int {
	for {
		if l, ok := c.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// Errorf returns a usage error at the line of the key at the dotted path, such as
// "kiln.yaml:12: packer.template: no such file"; for callers that check more than syntax.
func (c *Config) Errorf(path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return c.errorf(path, "%s", msg)
}

// parent returns the dotted path one level up: "a.b[0]" -> "a.b", "a.b" -> "a", "a" -> "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

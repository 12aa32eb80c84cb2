package config

import (
	"regexp"
	"strings"
	"time"
)

var (
	envNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	workspaceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$`)
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`) // Terraform and Packer variables
	envVarRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	buildRE     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// packerReserved are the Packer variables kiln sets itself.
var packerReserved = []string{"image_name", "image_family", "source_sha"}

// sampleNames are two builds whose names must differ: different commits, different times.
var sampleNames = [2]NameData{
	{SHA: "0123456789abcdef0123456789abcdef01234567", Ref: "master", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	{SHA: "fedcba9876543210fedcba9876543210fedcba98", Ref: "master", Time: time.Date(2027, 11, 12, 13, 14, 15, 0, time.UTC)},
}

// validate checks a decoded, defaulted Config; it returns the first problem in a fixed
// order (top-level sections in schema order, entries in file order).
func (c *Config) validate() error {
	for _, check := range []func() error{
		c.validateVersion, c.validateImage, c.validateImageBase, c.validateRegistry,
		c.validateRegistryPointer, c.validatePacker, c.validateEnvironments, c.validateTest,
		c.validatePromote, c.validateStrategy, c.validateVault, c.validateLifecycle, c.validateAttest,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateVersion() error {
	if !c.has("version") {
		return c.missing("version")
	}
	if c.Version != SchemaVersion {
		return c.errorf("version", "version: must be %d", SchemaVersion)
	}
	return nil
}

func (c *Config) validateImage() error {
	if c.Image.Family == "" {
		return c.required("image.family")
	}
	if p := nameProblem(c.Image.Family); p != "" {
		return c.errorf("image.family", "image.family: %q %s", c.Image.Family, p)
	}
	var names [2]string
	for i, d := range sampleNames {
		d.Family = c.Image.Family
		n, err := RenderName(c.Image.Name, d)
		if err != nil && !c.has("image.name") {
			return c.errorf("image.family", "image.family: with the default image.name, %s", oneLine(err))
		}
		if err != nil {
			return c.errorf("image.name", "image.name: %s", oneLine(err))
		}
		names[i] = n
	}
	if names[0] == names[1] {
		return c.errorf("image.name", "image.name: renders %q for every build; use .Timestamp or .SHA", names[0])
	}
	return nil
}

func (c *Config) validateRegistry() error {
	r := c.Registry
	switch r.Type {
	case "local", "gcp", "aws", "oci":
	default:
		return c.errorf("registry.type", "registry.type: %q is not one of local, gcp, aws, oci", r.Type)
	}
	if r.Path != "" && r.Type != "local" {
		return c.errorf("registry.path", "registry.path: only used with type local, not %s", r.Type)
	}
	if r.Project != "" && r.Type != "gcp" {
		return c.errorf("registry.project", "registry.project: only used with type gcp, not %s", r.Type)
	}
	if r.Region != "" && r.Type != "aws" {
		return c.errorf("registry.region", "registry.region: only used with type aws, not %s", r.Type)
	}
	return c.validateRegistryOCI()
}

func (c *Config) validatePacker() error {
	p := c.Packer
	if p.Template == "" {
		return c.required("packer.template")
	}
	for _, k := range sortedKeys(c, "packer.vars", p.Vars) {
		if !identRE.MatchString(k) {
			return c.errorf("packer.vars."+k, "packer.vars: %q is not a valid variable name", k)
		}
		for _, r := range packerReserved {
			if k == r {
				return c.errorf("packer.vars."+k, "packer.vars: %q is set by kiln itself", k)
			}
		}
	}
	if err := c.validateFiles("packer.var_files", p.VarFiles); err != nil {
		return err
	}
	if p.Build != "" && !buildRE.MatchString(p.Build) {
		return c.errorf("packer.build", "packer.build: %q is not a build name such as \"file.image\"", p.Build)
	}
	return nil
}

// validateFiles checks a list of file names: none may be empty.
func (c *Config) validateFiles(path string, files []string) error {
	for i, f := range files {
		if strings.TrimSpace(f) == "" {
			return c.errorf(index(path, i), "%s: file name must not be empty", index(path, i))
		}
	}
	return nil
}

func (c *Config) validateEnvironments() error {
	if len(c.Environments) == 0 {
		if c.has("environments") {
			return c.errorf("environments", "environments: at least one environment is required")
		}
		return c.missing("environments")
	}
	for _, name := range c.EnvironmentNames() {
		if err := c.validateEnvironment(name, c.Environments[name]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateEnvironment(name string, e Environment) error {
	p := "environments." + name
	if !envNameRE.MatchString(name) {
		return c.errorf(p, "environments: %q is not a valid name: lowercase letters, digits, - and _, starting with a letter", name)
	}
	if e.Terraform == "" {
		return c.required(p + ".terraform")
	}
	if !workspaceRE.MatchString(e.Workspace) {
		return c.errorf(p+".workspace", "%s.workspace: %q is not a valid Terraform workspace name", p, e.Workspace)
	}
	if !identRE.MatchString(e.ImageVar) {
		return c.errorf(p+".image_var", "%s.image_var: %q is not a valid Terraform variable name", p, e.ImageVar)
	}
	for _, k := range sortedKeys(c, p+".vars", e.Vars) {
		if !identRE.MatchString(k) {
			return c.errorf(p+".vars."+k, "%s.vars: %q is not a valid Terraform variable name", p, k)
		}
		if k == e.ImageVar {
			return c.errorf(p+".vars."+k, "%s.vars: %q receives the image id; kiln sets it", p, k)
		}
	}
	if err := c.validateFiles(p+".var_files", e.VarFiles); err != nil {
		return err
	}
	for _, k := range sortedKeys(c, p+".backend_config", e.BackendConfig) {
		if k == "" {
			return c.errorf(p+".backend_config", "%s.backend_config: empty key", p)
		}
	}
	if d, err := time.ParseDuration(e.LockTimeout); err != nil || d < 0 {
		return c.errorf(p+".lock_timeout", "%s.lock_timeout: %q is not a duration such as \"30s\" or \"5m\"", p, e.LockTimeout)
	}
	return c.validateGitLabState(p, e)
}

// gitLabStateRE is what GitLab accepts as a Terraform state name in the API path.
var gitLabStateRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)

func (c *Config) validateGitLabState(p string, e Environment) error {
	if e.GitLabState == "" {
		return nil
	}
	if !gitLabStateRE.MatchString(e.GitLabState) {
		return c.errorf(p+".gitlab_state", "%s.gitlab_state: %q is not a state name (letters, digits, ., _ and -)", p, e.GitLabState)
	}
	if e.Workspace != "default" {
		return c.errorf(p+".workspace", "%s.workspace: the http backend of gitlab_state has no workspaces; leave it out", p)
	}
	if len(e.BackendConfig) > 0 {
		return c.errorf(p+".backend_config", "%s.backend_config: gitlab_state configures the backend; leave backend_config out", p)
	}
	return nil
}

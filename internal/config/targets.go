package config

import (
	"maps"
	"os"
	"path/filepath"
)

// SameTarget reports whether environments a and b deploy into the same Terraform state:
// the same configuration directory, workspace, backend settings and GitLab state.
func (c *Config) SameTarget(a, b string) bool {
	ea, oka := c.Environments[a]
	eb, okb := c.Environments[b]
	if !oka || !okb {
		return false
	}
	return c.Path(ea.Terraform) == c.Path(eb.Terraform) && ea.Workspace == eb.Workspace &&
		ea.GitLabState == eb.GitLabState && maps.Equal(ea.BackendConfig, eb.BackendConfig)
}

// Exists returns a usage error at the line of key when rel (relative to kiln.yaml) does not
// exist: a missing packer/ or terraform/ directory is a configuration error in every step.
func (c *Config) Exists(key, rel string) error {
	if _, err := os.Stat(c.Path(rel)); err != nil {
		return c.Errorf(key, "%s does not exist (relative to %s)", rel, filepath.Base(c.File))
	}
	return nil
}

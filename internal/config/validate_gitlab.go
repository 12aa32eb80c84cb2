package config

import (
	"path"
	"strings"
	"unicode"
)

// maxJobName is the longest job name GitLab accepts.
const maxJobName = 255

// validatePromoteGitLab checks promote.gitlab: a job name GitLab could have, and an
// artifact path inside the project directory.
func (c *Config) validatePromoteGitLab() error {
	g := c.Promote.GitLab
	if p := JobNameProblem(g.TestJob); p != "" {
		return c.errorf("promote.gitlab.test_job", "promote.gitlab.test_job: %q %s", g.TestJob, p)
	}
	if p := ArtifactPathProblem(g.ArtifactPath); p != "" {
		return c.errorf("promote.gitlab.artifact_path", "promote.gitlab.artifact_path: %q %s", g.ArtifactPath, p)
	}
	return nil
}

// JobNameProblem returns why name cannot be a GitLab CI job's name, or "" when it can:
// it must not be empty, longer than 255 characters or contain control characters.
func JobNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "is empty"
	case len(name) > maxJobName:
		return "is longer than the 255 characters of a GitLab job name"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	return ""
}

// ArtifactPathProblem returns why p cannot name a file in a job's artifacts, or "" when
// it can: a clean relative path ("out/kiln-image.json") that stays in the project
// directory.
func ArtifactPathProblem(p string) string {
	switch {
	case p == "":
		return "is empty"
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "contains control characters"
	case strings.Contains(p, `\`):
		return "contains a backslash; use / between directories"
	case path.IsAbs(p):
		return "is absolute; artifact paths are relative to the project directory"
	case path.Clean(p) != p || strings.HasSuffix(p, "/"):
		return "is not a clean path to a file (no ./, //, trailing / or ..)"
	case p == ".." || strings.HasPrefix(p, "../"):
		return "leaves the project directory"
	}
	return ""
}

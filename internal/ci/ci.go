// Package ci adapts kiln's steps to the CI system running them: where the source commit and
// pipeline come from, how outputs are published and how secrets are masked. GitLab, GitHub Actions, Jenkins and plain local runs are supported.
package ci

import "io"

// Info describes the source and the pipeline a step runs for, as the CI system reports it.
type Info struct {
	Repo        string // the repository URL or owner/name
	Commit      string // the full commit SHA
	Ref         string // branch or tag name
	PipelineURL string // the pipeline (GitLab), workflow run (GitHub) or build (Jenkins) URL
	JobURL      string
}

// Provider is one CI system.
type Provider interface {
	// Name is the CI system's name: gitlab, github, jenkins or local.
	Name() string
	// Info reports the source and pipeline from the CI's predefined variables.
	Info() Info
	// SetOutputs publishes step outputs where the CI reads them (GitHub's $GITHUB_OUTPUT);
	// the others read kiln.env.
	SetOutputs(outputs map[string]string) error
	// Summary appends a Markdown summary of the step where the CI shows it.
	Summary(markdown string) error
	// Mask asks the CI to hide each value in its logs, where the CI can.
	Mask(values []string)
}

// Detect returns the Provider for the environment getenv describes. Log lines and CI
// commands go to log.
func Detect(getenv func(string) string, log io.Writer) Provider {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return newGitHub(getenv, log)
	case getenv("GITLAB_CI") == "true":
		return &gitlab{getenv: getenv}
	case getenv("JENKINS_URL") != "" || getenv("JENKINS_HOME") != "":
		return &jenkins{getenv: getenv}
	default:
		return &local{getenv: getenv}
	}
}

// noOutputs is embedded by the providers that read kiln.env instead of step outputs.
type noOutputs struct{}

func (noOutputs) SetOutputs(map[string]string) error { return nil }
func (noOutputs) Summary(string) error               { return nil }
func (noOutputs) Mask([]string)                      {}

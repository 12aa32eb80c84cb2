package ci

// gitlab is GitLab CI. Outputs travel as the kiln.env dotenv report; GitLab cannot mask a
// value at run time (only masked CI/CD variables), so Mask relies on kiln's own redaction.
type gitlab struct {
	noOutputs
	getenv func(string) string
}

func (g *gitlab) Name() string { return "gitlab" }

func (g *gitlab) Info() Info {
	ref := g.getenv("CI_COMMIT_REF_NAME")
	if ref == "" {
		ref = g.getenv("CI_COMMIT_BRANCH")
	}
	return Info{
		Repo:        g.getenv("CI_PROJECT_URL"),
		Commit:      g.getenv("CI_COMMIT_SHA"),
		Ref:         ref,
		PipelineURL: g.getenv("CI_PIPELINE_URL"),
		JobURL:      g.getenv("CI_JOB_URL"),
	}
}

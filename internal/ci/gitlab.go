package ci

import (
	"fmt"
	"io"
	"regexp"
	"time"
)

// gitlab is GitLab CI. Outputs travel as the kiln.env dotenv report; GitLab cannot mask a
// value at run time (only masked CI/CD variables), so Mask relies on kiln's own redaction.
type gitlab struct {
	noOutputs
	getenv func(string) string
	log    io.Writer
	now    func() time.Time
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

var sectionID = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// Section draws GitLab's collapsible section markers
// (https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections).
func (g *gitlab) Section(id, title string) func() {
	id = sectionID.ReplaceAllString(id, "_")
	fmt.Fprintf(g.log, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", g.now().Unix(), id, title)
	return func() {
		fmt.Fprintf(g.log, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", g.now().Unix(), id)
	}
}

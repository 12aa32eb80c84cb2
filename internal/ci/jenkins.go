package ci

import "strings"

// jenkins is a Jenkins shell stage: the Jenkinsfile reads kiln.env with readProperties and
// masks credentials with withCredentials, so kiln adds nothing to the log.
type jenkins struct {
	noOutputs
	getenv func(string) string
}

func (j *jenkins) Name() string { return "jenkins" }

func (j *jenkins) Info() Info {
	ref := j.getenv("BRANCH_NAME")
	if ref == "" {
		ref = strings.TrimPrefix(j.getenv("GIT_BRANCH"), "origin/")
	}
	return Info{
		Repo:        j.getenv("GIT_URL"),
		Commit:      j.getenv("GIT_COMMIT"),
		Ref:         ref,
		PipelineURL: j.getenv("BUILD_URL"),
		JobURL:      j.getenv("BUILD_URL"),
	}
}

// local is a run outside CI: the source commit comes from KILN_SOURCE_SHA or git.
type local struct {
	noOutputs
	getenv func(string) string
}

func (l *local) Name() string { return "local" }

func (l *local) Info() Info {
	return Info{Commit: l.getenv("KILN_SOURCE_SHA"), Ref: l.getenv("KILN_SOURCE_REF")}
}

package promote

import "github.com/kiln-ci/kiln/internal/step"

// Where the record comes from.
const (
	sourceFile   = "file"   // the --record file
	sourceGitLab = "gitlab" // the GitLab API (gitlab.go)
	sourceGitHub = "github" // the GitHub API (github.go)
)

// sourceFlag chooses where the record comes from.
var sourceFlag = step.Flag{Name: "source", Env: "KILN_PROMOTE_SOURCE", Default: "auto",
	Help: "where the record comes from: file (--record), gitlab (the GitLab API), github (the GitHub API), or auto (see GitLab and GitHub modes)"}

// recordSource says where this run takes the record from: --source, or for auto the CI's
// API when the job runs on promote.to or for a from -> to merge/pull request (gitlabAuto,
// githubAuto), and the file otherwise or when --record (KILN_RECORD) names one.
func recordSource(r *step.Run) (string, error) {
	switch src := r.Opts.Get("source"); src {
	case sourceFile, sourceGitLab, sourceGitHub:
		return src, nil
	case "auto":
		switch {
		case r.Opts.IsSet("record"):
			return sourceFile, nil
		case gitlabAuto(r):
			return sourceGitLab, nil
		case githubAuto(r):
			return sourceGitHub, nil
		}
		return sourceFile, nil
	default:
		return "", step.UsageError("--source %q: want auto, file, gitlab or github", src)
	}
}

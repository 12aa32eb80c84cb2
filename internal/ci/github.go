package ci

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// github is GitHub Actions, through go-githubactions: outputs go to $GITHUB_OUTPUT, the
// summary to $GITHUB_STEP_SUMMARY, masks and groups are workflow commands on the log.
type github struct {
	getenv func(string) string
	action *githubactions.Action
}

func newGitHub(getenv func(string) string, log io.Writer) *github {
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(log))
	return &github{getenv: getenv, action: a}
}

func (g *github) Name() string { return "github" }

func (g *github) Info() Info {
	server, repo := g.getenv("GITHUB_SERVER_URL"), g.getenv("GITHUB_REPOSITORY")
	run := ""
	if server != "" && repo != "" && g.getenv("GITHUB_RUN_ID") != "" {
		run = server + "/" + repo + "/actions/runs/" + g.getenv("GITHUB_RUN_ID")
	}
	repoURL := repo
	if server != "" && repo != "" {
		repoURL = server + "/" + repo
	}
	return Info{
		Repo:        repoURL,
		Commit:      g.getenv("GITHUB_SHA"),
		Ref:         g.getenv("GITHUB_REF_NAME"),
		PipelineURL: run,
		JobURL:      run,
	}
}

// SetOutputs writes each output to $GITHUB_OUTPUT, in key order.
func (g *github) SetOutputs(outputs map[string]string) error {
	if g.getenv("GITHUB_OUTPUT") == "" {
		return nil
	}
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkOutput(k, outputs[k]); err != nil {
			return err
		}
	}
	return catch("write $GITHUB_OUTPUT", func() {
		for _, k := range keys {
			g.action.SetOutput(k, outputs[k])
		}
	})
}

// outputDelimiter is the fixed heredoc delimiter go-githubactions writes outputs with
// (NAME<<DELIMITER, the value's lines, DELIMITER).
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// checkOutput refuses an output $GITHUB_OUTPUT cannot carry as written: a name the runner
// would read as NAME=VALUE or as another heredoc, or a value with the fixed delimiter on a
// line of its own, which would end the value early and let the rest set other outputs.
func checkOutput(name, value string) error {
	if name == "" || strings.ContainsAny(name, "=\r\n") || strings.Contains(name, "<<") {
		return fmt.Errorf("write $GITHUB_OUTPUT: output name %q: want no =, << or line break", name)
	}
	for _, line := range strings.Split(value, "\n") {
		if strings.TrimRight(line, "\r") == outputDelimiter {
			return fmt.Errorf("write $GITHUB_OUTPUT: output %s: value holds the delimiter line %s", name, outputDelimiter)
		}
	}
	return nil
}

func (g *github) Summary(markdown string) error {
	if g.getenv("GITHUB_STEP_SUMMARY") == "" {
		return nil
	}
	return catch("write $GITHUB_STEP_SUMMARY", func() { g.action.AddStepSummary(markdown) })
}

// Mask masks each value and each of its lines: GitHub masks line by line, so a multi-line
// value needs one ::add-mask:: per line.
func (g *github) Mask(values []string) {
	for _, v := range values {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimRight(line, "\r"); strings.TrimSpace(line) != "" {
				g.action.AddMask(line)
			}
		}
	}
}

// catch turns go-githubactions' panics on file-command errors into an error.
func catch(op string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", op, r)
		}
	}()
	f()
	return nil
}

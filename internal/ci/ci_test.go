package ci

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)

func detect(vars map[string]string, log *bytes.Buffer) Provider {
	return Detect(func(k string) string { return vars[k] }, log)
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"nothing", nil, "local"},
		{"github", map[string]string{"GITHUB_ACTIONS": "true"}, "github"},
		{"gitlab", map[string]string{"GITLAB_CI": "true"}, "gitlab"},
		{"jenkins url", map[string]string{"JENKINS_URL": "https://ci.example.com/"}, "jenkins"},
		{"jenkins home", map[string]string{"JENKINS_HOME": "/var/jenkins_home"}, "jenkins"},
		{"github wins over gitlab", map[string]string{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, "github"},
		{"gitlab wins over jenkins", map[string]string{"GITLAB_CI": "true", "JENKINS_URL": "x"}, "gitlab"},
		{"github not true", map[string]string{"GITHUB_ACTIONS": "false"}, "local"},
		{"gitlab not true", map[string]string{"GITLAB_CI": "1", "CI": "true"}, "local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detect(tc.vars, &bytes.Buffer{}).Name(); got != tc.want {
				t.Errorf("Detect = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want Info
	}{
		{"gitlab", map[string]string{
			"GITLAB_CI": "true", "CI_PROJECT_URL": "https://gitlab.example.com/team/demo",
			"CI_COMMIT_SHA": "0123abcdef", "CI_COMMIT_REF_NAME": "master", "CI_COMMIT_BRANCH": "other",
			"CI_PIPELINE_URL": "https://gitlab.example.com/team/demo/-/pipelines/7",
			"CI_JOB_URL":      "https://gitlab.example.com/team/demo/-/jobs/70",
		}, Info{Repo: "https://gitlab.example.com/team/demo", Commit: "0123abcdef", Ref: "master",
			PipelineURL: "https://gitlab.example.com/team/demo/-/pipelines/7",
			JobURL:      "https://gitlab.example.com/team/demo/-/jobs/70"}},
		{"gitlab branch fallback", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "feature"},
			Info{Ref: "feature"}},
		{"github", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "team/demo",
			"GITHUB_SHA": "0123abcdef", "GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": "42",
		}, Info{Repo: "https://github.com/team/demo", Commit: "0123abcdef", Ref: "main",
			PipelineURL: "https://github.com/team/demo/actions/runs/42",
			JobURL:      "https://github.com/team/demo/actions/runs/42"}},
		{"github without server", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "team/demo", "GITHUB_RUN_ID": "42"},
			Info{Repo: "team/demo"}},
		{"jenkins", map[string]string{
			"JENKINS_URL": "https://ci.example.com/", "GIT_URL": "https://git.example.com/demo.git",
			"GIT_COMMIT": "0123abcdef", "BRANCH_NAME": "master", "GIT_BRANCH": "origin/other",
			"BUILD_URL": "https://ci.example.com/job/demo/7/",
		}, Info{Repo: "https://git.example.com/demo.git", Commit: "0123abcdef", Ref: "master",
			PipelineURL: "https://ci.example.com/job/demo/7/", JobURL: "https://ci.example.com/job/demo/7/"}},
		{"jenkins git branch", map[string]string{"JENKINS_HOME": "/j", "GIT_BRANCH": "origin/release/1.2"},
			Info{Ref: "release/1.2"}},
		{"local", map[string]string{"KILN_SOURCE_SHA": "0123abcdef", "KILN_SOURCE_REF": "wip", "CI_COMMIT_SHA": "ignored"},
			Info{Commit: "0123abcdef", Ref: "wip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detect(tc.vars, &bytes.Buffer{}).Info(); got != tc.want {
				t.Errorf("Info =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestQuietProviders(t *testing.T) {
	for _, vars := range []map[string]string{nil, {"GITLAB_CI": "true"}, {"JENKINS_URL": "x"}} {
		var log bytes.Buffer
		p := detect(vars, &log)
		t.Run(p.Name(), func(t *testing.T) {
			if err := p.SetOutputs(map[string]string{"image-id": "x"}); err != nil {
				t.Errorf("SetOutputs: %v", err)
			}
			if err := p.Summary("# x"); err != nil {
				t.Errorf("Summary: %v", err)
			}
			p.Mask([]string{"secret"})
			if log.Len() != 0 {
				t.Errorf("wrote to the log: %q", log.String())
			}
		})
	}
}

func TestGitHubSetOutputs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	p := detect(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": path}, &log)
	err := p.SetOutputs(map[string]string{"image-name": "demo-1", "image-id": "local:sha256:ab", "multi": "a\nb", "empty": ""})
	if err != nil {
		t.Fatal(err)
	}
	const d = "_GitHubActionsFileCommandDelimeter_"
	want := "earlier=1\n" +
		"empty<<" + d + "\n\n" + d + "\n" +
		"image-id<<" + d + "\nlocal:sha256:ab\n" + d + "\n" +
		"image-name<<" + d + "\ndemo-1\n" + d + "\n" +
		"multi<<" + d + "\na\nb\n" + d + "\n"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("$GITHUB_OUTPUT\n%s\nwant\n%s", data, want)
	}
	if log.Len() != 0 {
		t.Errorf("outputs went to the log: %q", log.String())
	}
}

func TestGitHubSetOutputsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		outFile string
		outputs map[string]string
		want    string // in the error; "" for none
	}{
		{"no GITHUB_OUTPUT", "", map[string]string{"image-id": "x"}, ""},
		{"unwritable", dir, map[string]string{"image-id": "x"}, "write $GITHUB_OUTPUT"},
		{"delimiter in value", filepath.Join(dir, "o1"),
			map[string]string{"image-id": "x\n_GitHubActionsFileCommandDelimeter_\nimage-name<<EOF\nevil\nEOF"}, "delimiter"},
		{"= in name", filepath.Join(dir, "o2"), map[string]string{"a=b": "x"}, "output name"},
		{"heredoc in name", filepath.Join(dir, "o3"), map[string]string{"a<<b": "x"}, "output name"},
		{"line break in name", filepath.Join(dir, "o4"), map[string]string{"a\nb": "x"}, "output name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := detect(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": tc.outFile}, &bytes.Buffer{})
			err := p.SetOutputs(tc.outputs)
			if tc.want == "" {
				if err != nil {
					t.Errorf("SetOutputs: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SetOutputs error %v, want one containing %q", err, tc.want)
			}
			if tc.outFile != dir {
				if _, err := os.Stat(tc.outFile); err == nil {
					t.Error("a refused output was written")
				}
			}
		})
	}
}

func TestGitHubMask(t *testing.T) {
	var log bytes.Buffer
	p := detect(map[string]string{"GITHUB_ACTIONS": "true"}, &log)
	p.Mask([]string{"s3cret", "", "-----BEGIN KEY-----\r\nAAAA\r\n\r\n  \n-----END KEY-----\n", "100%"})
	want := "::add-mask::s3cret\n" +
		"::add-mask::-----BEGIN KEY-----\n" +
		"::add-mask::AAAA\n" +
		"::add-mask::-----END KEY-----\n" +
		"::add-mask::100%25\n"
	if log.String() != want {
		t.Errorf("log\n%q\nwant\n%q", log.String(), want)
	}
}

func TestGitHubSummary(t *testing.T) {
	var log bytes.Buffer
	summary := filepath.Join(t.TempDir(), "summary.md")
	p := detect(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}, &log)
	if err := p.Summary("### kiln-bake\n"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(summary); string(data) != "### kiln-bake\n\n" {
		t.Errorf("summary %q", data)
	}
	// Without $GITHUB_STEP_SUMMARY there is nowhere to write: not an error.
	if err := detect(map[string]string{"GITHUB_ACTIONS": "true"}, &log).Summary("x"); err != nil {
		t.Errorf("Summary without a file: %v", err)
	}
}

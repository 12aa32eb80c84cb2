package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/step"
)

// TestRecordSource: --source auto picks GitLab mode, GitHub mode or the file as documented,
// and --record always means the file. Each mode shows in its first failure here (no API to
// reach, no record): "GitLab mode: CI_COMMIT_SHA ...", "GitHub mode: GITHUB_API_URL ...", or
// "kiln-image.json: not found".
func TestRecordSource(t *testing.T) {
	const (
		gitlab = "GitLab mode: CI_COMMIT_SHA"
		github = `GitHub mode: GITHUB_API_URL "ftp://nowhere" is not an http or https URL`
		file   = "kiln-image.json: not found"
	)
	actions := func(kv ...string) map[string]string {
		m := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "t", "GITHUB_API_URL": "ftp://nowhere",
			"GITHUB_REPOSITORY": "acme/web", "GITHUB_WORKFLOW_REF": "acme/web/.github/workflows/kiln.yml@refs/heads/stable"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{name: "local", want: file},
		{name: "GitLab on stable", env: map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "stable"}, want: gitlab},
		{name: "GitHub push to stable", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "stable"), want: github},
		{name: "GitHub tag stable", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "stable", "GITHUB_REF_TYPE", "tag"), want: file},
		{name: "GitHub push to master", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "master"), want: file},
		{name: "GitHub dispatch on stable", env: actions("GITHUB_EVENT_NAME", "workflow_dispatch", "GITHUB_REF_NAME", "stable"), want: file},
		{name: "GitHub pull request master -> stable", want: github,
			env: actions("GITHUB_EVENT_NAME", "pull_request", "GITHUB_HEAD_REF", "master", "GITHUB_BASE_REF", "stable")},
		{name: "GitHub pull request feature -> stable", want: file,
			env: actions("GITHUB_EVENT_NAME", "pull_request", "GITHUB_HEAD_REF", "feature", "GITHUB_BASE_REF", "stable")},
		{name: "GitHub with --record", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "stable"),
			args: []string{"--record", "kiln-image.json"}, want: file},
		{name: "GitHub with KILN_RECORD", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "stable", "KILN_RECORD", "kiln-image.json"),
			want: file},
		{name: "forced github", args: []string{"--source", "github"}, want: "GitHub mode: GITHUB_WORKFLOW_REF"},
		{name: "forced file on stable", env: actions("GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "stable"),
			args: []string{"--source", "file"}, want: file},
		{name: "GitLab first", env: actions("GITLAB_CI", "true", "CI_COMMIT_BRANCH", "stable", "GITHUB_EVENT_NAME", "push",
			"GITHUB_REF_NAME", "stable"), want: gitlab},
		{name: "unknown", args: []string{"--source", "svn"}, want: `--source "svn": want auto, file, gitlab or github`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			yaml := "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {prod: {terraform: tf/}}\n"
			if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			env := step.MapEnv(tc.env, dir, &out, &errb, time.Now)
			if code := step.Execute(context.Background(), env, Step{}, tc.args); code == 0 || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("exit %d, want a failure with %q:\n%s", code, tc.want, errb.String())
			}
		})
	}
}

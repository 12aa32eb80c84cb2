package gitlab

import (
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestSettingsFromEnv(t *testing.T) {
	ci := map[string]string{
		"CI_API_V4_URL": "https://gitlab.example.com/api/v4",
		"CI_PROJECT_ID": "42",
		"CI_JOB_TOKEN":  "job-secret",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ci {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		token string
		job   bool
		err   string
	}{
		{"job token", ci, "job-secret", true, ""},
		{"access token wins", with("KILN_GITLAB_TOKEN", "glpat-secret"), "glpat-secret", false, ""},
		{"no api url", with("CI_API_V4_URL", ""), "", false, "GitLab mode: CI_API_V4_URL is not set"},
		{"api url without scheme", with("CI_API_V4_URL", "gitlab.example.com/api/v4"), "", false, `CI_API_V4_URL "gitlab.example.com/api/v4" is not an http or https URL`},
		{"project path", with("CI_PROJECT_ID", "acme/web"), "", false, `CI_PROJECT_ID "acme/web" is not a numeric project id`},
		{"no token", with("CI_JOB_TOKEN", ""), "", false, "GitLab mode: no token: set KILN_GITLAB_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SettingsFromEnv(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || exitcode.Of(err) != exitcode.Usage {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Token != tc.token || s.JobToken != tc.job || s.Project != "42" {
				t.Fatalf("settings %+v", s)
			}
		})
	}
}

func TestCommitFromEnv(t *testing.T) {
	for _, tc := range []struct {
		sha string
		ok  bool
	}{
		{strings.Repeat("a1", 20), true},
		{strings.Repeat("b2", 32), true}, // SHA-256 repositories
		{"a1b2c3d", false},
		{strings.Repeat("A1", 20), false},
		{"", false},
	} {
		got, err := CommitFromEnv(func(string) string { return tc.sha })
		if (err == nil) != tc.ok || (tc.ok && got != tc.sha) {
			t.Errorf("CommitFromEnv(%q) = %q, %v", tc.sha, got, err)
		}
	}
}

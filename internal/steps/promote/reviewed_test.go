package promote

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/step"
)

// TestLeased: a dynamic secret that reaches kiln-promote's Terraform as a variable keeps
// the plan from being saved; other secrets do not.
func TestLeased(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret config.Secret
		want   bool
	}{
		{"dynamic tf_var", config.Secret{Engine: config.EngineDynamic, Path: "db/creds/web", TFVar: "db", Steps: []string{"promote"}}, true},
		{"dynamic TF_VAR_ prefix", config.Secret{Engine: config.EngineDynamic, Path: "db/creds/web", EnvPrefix: "TF_VAR_db_", Steps: []string{"promote"}}, true},
		{"dynamic env only", config.Secret{Engine: config.EngineDynamic, Path: "db/creds/web", EnvPrefix: "DB_", Steps: []string{"promote"}}, false},
		{"dynamic, other step", config.Secret{Engine: config.EngineDynamic, Path: "db/creds/web", TFVar: "db", Steps: []string{"deploy-dev"}}, false},
		{"kv tf_var", config.Secret{Engine: config.EngineKV2, Path: "kv/data/db", TFVar: "db", Steps: []string{"promote"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &config.Config{Vault: &config.Vault{Secrets: []config.Secret{tc.secret}}}
			if got := leased(c); (got != "") != tc.want || tc.want && !strings.Contains(got, "db/creds/web") {
				t.Fatalf("leased = %q, want %v", got, tc.want)
			}
		})
	}
	if leased(&config.Config{}) != "" {
		t.Fatal("leased without a vault block")
	}
}

// TestPlanFlags: the reviewed plan's names are checked before anything runs.
func TestPlanFlags(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"KILN_GITLAB_PLAN_JOB": " "}, `KILN_GITLAB_PLAN_JOB=" " is empty`},
		{map[string]string{"KILN_GITLAB_PLAN_ARTIFACT": "../kiln-plan.bin"}, "leaves the project directory"},
		{map[string]string{"KILN_GITHUB_PLAN_ARTIFACT": "a/b"}, `KILN_GITHUB_PLAN_ARTIFACT="a/b": want an artifact name`},
	} {
		dir := t.TempDir()
		yaml := "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {prod: {terraform: tf/}}\n"
		if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		env := step.MapEnv(tc.env, dir, &out, &errb, time.Now)
		if code := step.Execute(context.Background(), env, Step{}, nil); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Fatalf("exit %d, want 2 with %q:\n%s", code, tc.want, errb.String())
		}
	}
}

package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

const kilnYAML = "version: 1\nimage: {family: web}\npacker: {template: p}\n" +
	"environments: {dev: {terraform: tf/}, prod: {terraform: tf/}}\n"

func run(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(kilnYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "tf"), 0o755)
	vars := map[string]string{"KILN_TERRAFORM": filepath.Join(dir, "no-terraform"), "KILN_TOOLS_OFFLINE": "1", "HOME": dir}
	var out, errb bytes.Buffer
	code := step.Execute(context.Background(), step.MapEnv(vars, dir, &out, &errb, time.Now), Step{}, args)
	return code, out.String(), errb.String()
}

func TestDriftUnknownEnvironment(t *testing.T) {
	code, _, stderr := run(t, t.TempDir(), "--environment", "staging")
	if code != 2 || !strings.Contains(stderr, `--environment "staging": `) || !strings.Contains(stderr, `no environment "staging"`) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestDriftNothingDeployed: no record and a family never promoted: no environment has an
// image to check, which is no drift (exit 0), and Terraform is never needed.
func TestDriftNothingDeployed(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run(t, dir, "--report", "drift.json")
	want := "dev: not checked: no image kiln deployed there\nprod: not checked: no image kiln deployed there\n"
	if code != 0 || stdout != want {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep Report
	data, err := os.ReadFile(filepath.Join(dir, "drift.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Environments) != 2 || rep.Environments[1].Name != "prod" || rep.Environments[1].InSync ||
		rep.Environments[1].Skipped != "no image kiln deployed there" || !strings.Contains(string(data), `"changes": []`) {
		t.Fatalf("report:\n%s", data)
	}
}

func TestDriftSummary(t *testing.T) {
	change := terraform.Change{Address: "terraform_data.vm", Action: "update", Attribute: "input", Before: `"a"`, After: `"b"`}
	tests := []struct {
		env   Environment
		lines []string
		sum   string
		sync  bool
	}{
		{Environment{Name: "prod"}, nil, "prod: in sync", true},
		{Environment{Name: "dev", Skipped: `no workspace "dev"`}, nil, `dev: not checked: no workspace "dev"`, false},
		{Environment{Name: "prod", Changes: []terraform.Change{change}, findings: []string{"prod runs x, the family's current image is y"}},
			[]string{`prod: terraform_data.vm: update: input "a" -> "b"`, "prod runs x, the family's current image is y"},
			"prod: drifted (2 changes)", false},
		{Environment{Name: "dev", findings: []string{"dev runs x, revoked"}}, []string{"dev runs x, revoked"}, "dev: drifted (1 change)", false},
		{Environment{Name: "dev", Error: "terraform plan in tf: boom"}, nil, "dev: not checked: terraform plan in tf: boom", false},
	}
	for _, tt := range tests {
		tt.env.settle()
		if got := tt.env.lines(); len(got)+len(tt.lines) > 0 && !reflect.DeepEqual(got, tt.lines) {
			t.Errorf("lines: %q, want %q", got, tt.lines)
		}
		if got := tt.env.summary(); got != tt.sum || tt.env.InSync != tt.sync {
			t.Errorf("summary: %q in sync %v, want %q %v", got, tt.env.InSync, tt.sum, tt.sync)
		}
	}
}

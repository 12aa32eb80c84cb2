package rotate_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rotate"
)

const kilnYAML = "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: tf/}}\n"

func run(t *testing.T, dir, yaml string, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"KILN_TERRAFORM": filepath.Join(dir, "no-terraform"), "KILN_TOOLS_OFFLINE": "1", "HOME": dir}
	var out, errb bytes.Buffer
	code := step.Execute(context.Background(), step.MapEnv(vars, dir, &out, &errb, func() time.Time { return now }), rotate.Step{}, args)
	return code, out.String(), errb.String()
}

func TestNoLifecycle(t *testing.T) {
	code, _, stderr := run(t, t.TempDir(), kilnYAML, time.Now())
	if code != 0 || !strings.Contains(stderr, "nothing to do: kiln.yaml has no lifecycle block") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestUnreadableState: without Terraform no environment's state can be read, so no image
// moves, and each row says why.
func TestUnreadableState(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &local.Registry{Dir: filepath.Join(dir, ".kiln", "images"), Now: func() time.Time { return start }}
	for i := 0; i < 3; i++ {
		p := filepath.Join(t.TempDir(), "disk.img")
		os.WriteFile(p, []byte(fmt.Sprint(i)), 0o644)
		if _, err := reg.Import([]string{p}, fmt.Sprintf("web-%d", i), "web", nil); err != nil {
			t.Fatal(err)
		}
	}
	yaml := kilnYAML + "lifecycle: {keep: 1, deprecate_after: 1d}\n"
	for _, args := range [][]string{nil, {"--apply"}} {
		code, stdout, stderr := run(t, dir, yaml, start.AddDate(0, 0, 5), args...)
		if code != 0 || strings.Count(stdout, "use unknown, kept: environment dev: its Terraform state could not be read") != 2 ||
			!strings.Contains(stdout, "0 to deprecate, 0 to obsolete, 0 to delete; 3 stay") {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
	}
	images, _ := reg.List(context.Background(), "web")
	for _, img := range images {
		if img.State != "READY" {
			t.Fatalf("%s moved to %s", img.ID, img.State)
		}
	}
}

package rollback_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rollback"
)

// TestRefusals: every refusal happens before Terraform runs (there is none here).
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	reg := &local.Registry{Dir: filepath.Join(dir, ".kiln", "images"), Now: func() time.Time { return now }}
	ids := map[string]string{}
	for _, n := range []string{"old", "cur", "other"} {
		p := filepath.Join(t.TempDir(), n+".img")
		os.WriteFile(p, []byte(n), 0o644)
		family := "web"
		if n == "other" {
			family = "api"
		}
		img, err := reg.Import([]string{p}, n, family, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = img.ID
	}
	yaml := "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {prod: {terraform: tf/}}\n"
	os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(yaml), 0o644)
	run := func(args ...string) (int, string) {
		vars := map[string]string{"KILN_TERRAFORM": filepath.Join(dir, "no-terraform"), "KILN_TOOLS_OFFLINE": "1"}
		var out, errb bytes.Buffer
		code := step.Execute(context.Background(), step.MapEnv(vars, dir, &out, &errb, func() time.Time { return now }), rollback.Step{}, args)
		return code, errb.String()
	}
	ctx := context.Background()
	check := func(code int, stderr string, want int, part string) {
		t.Helper()
		if code != want || !strings.Contains(stderr, part) {
			t.Fatalf("exit %d, want %d with %q:\n%s", code, want, part, stderr)
		}
	}
	code, stderr := run()
	check(code, stderr, 8, "rollback refused: family web has no earlier promoted image that is not revoked (0 promotions recorded)")
	reg.Point(ctx, "web", ids["cur"], "prod", now)
	code, stderr = run()
	check(code, stderr, 8, "no earlier promoted image that is not revoked (1 promotions recorded)")
	code, stderr = run("--to", ids["cur"])
	check(code, stderr, 0, "nothing to do: family web already points to "+ids["cur"])
	code, stderr = run("--to", ids["other"])
	check(code, stderr, 8, "belongs to family api, not web")
	reg.SetState(ctx, ids["old"], registry.Obsolete, registry.Dates{Obsolete: now.AddDate(0, -1, 0)})
	code, stderr = run("--to", ids["old"])
	check(code, stderr, 8, "rollback refused: image "+ids["old"]+" is OBSOLETE since 2026-04-01")
	reg.Delete(ctx, ids["old"], now)
	code, stderr = run("--to", ids["old"])
	check(code, stderr, 8, "is DELETED since 2026-05-01")
	code, stderr = run("--to", "local:sha256:"+strings.Repeat("f", 64))
	check(code, stderr, 7, "is not in the registry")
}

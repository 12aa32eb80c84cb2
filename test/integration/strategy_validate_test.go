package integration

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestStrategyValidate: kiln-validate checks a blue-green or canary strategy's Terraform
// contract offline, on a copy of the bluegreen fixture (no HAProxy, no kiln-demo: nothing
// runs but packer and terraform validate). The whole fixture passes; a fixture without a
// slot variable, or without the statistics output a gate reads, fails with exit 2 and the
// kiln.yaml line of promote.strategy.
func TestStrategyValidate(t *testing.T) {
	const (
		blueGreen = "  strategy:\n    type: blue-green\n    drain: 1s\n    health: {max_error_rate: 0.05}\n"
		canary    = "  strategy:\n    type: canary\n    steps: [{weight: 10, pause: 1s}]\n    analysis: {max_error_rate: 0.05, max_p99: 500ms}\n"
	)
	for _, tc := range []struct {
		name, strategy string
		edit           func(t *testing.T, tfDir string) // the fixture's change
		code           int
		want           string // stdout's strategy line, after the kiln.yaml line when it failed
	}{
		{"whole contract", blueGreen, nil, 0, "ok   promote strategy blue-green: environment prod's slot variables and outputs"},
		{"a slot variable removed", blueGreen, func(t *testing.T, dir string) {
			removeBlock(t, filepath.Join(dir, "variables.tf"), `variable "weight_green" {`)
		}, 2, "promote.strategy: blue-green strategy: prod (terraform/) lacks variable weight_green (see docs/strategies.md)"},
		{"the statistics output removed", canary, func(t *testing.T, dir string) {
			removeBlock(t, filepath.Join(dir, "outputs.tf"), `output "stats_url" {`)
		}, 2, "promote.strategy: canary strategy: prod (terraform/) lacks output stats_url (see docs/strategies.md)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyBlueGreen(t, dir)
			cfg := readFile(t, filepath.Join(dir, "kiln.yaml"))
			for k, v := range map[string]string{"${DEV_BASE_PORT}": "20000", "${PROD_BASE_PORT}": "20010",
				"${DEMO_BIN}": "/bin/true", "${HAPROXY}": "haproxy", "${FAIL_RATE}": "0", "${FAIL_IN}": ""} {
				cfg = strings.ReplaceAll(cfg, k, v)
			}
			cfg += "promote:\n  environment: prod\n"
			line := strings.Count(cfg, "\n") + 1 // promote.strategy's line
			writeFile(t, filepath.Join(dir, "kiln.yaml"), cfg+tc.strategy)
			if tc.edit != nil {
				tc.edit(t, filepath.Join(dir, "terraform"))
			}
			r := kiln(t, dir, "validate", nil, "--offline")
			if r.code != tc.code {
				t.Fatalf("want exit %d, got %s", tc.code, r)
			}
			want := tc.want
			if tc.code != 0 {
				typ := strings.Fields(tc.strategy)[2]
				want = fmt.Sprintf("FAIL promote strategy %s: environment prod's slot variables and outputs: %s:%d: %s", typ, filepath.Join(dir, "kiln.yaml"), line, tc.want)
			}
			if !strings.Contains(r.stdout, want+"\n") {
				t.Fatalf("kiln-validate lacks %q:\n%s", want, r)
			}
			// Packer and Terraform validated the fixture for real, offline.
			if !strings.Contains(r.stdout, "ok   packer packer/: validate\n") {
				t.Errorf("packer validate did not pass:\n%s", r.stdout)
			}
		})
	}
}

// removeBlock deletes the top-level HCL block that starts with the line head (up to the
// next line that is a lone "}").
func removeBlock(t *testing.T, path, head string) {
	t.Helper()
	src := readFile(t, path)
	i := strings.Index(src, head+"\n")
	if i < 0 {
		t.Fatalf("%s has no %q", path, head)
	}
	j := strings.Index(src[i:], "\n}\n")
	if j < 0 {
		t.Fatalf("%s: %q does not end", path, head)
	}
	writeFile(t, path, src[:i]+src[i+j+3:])
}

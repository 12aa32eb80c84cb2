package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
)

// contractTF declares the whole strategy contract under the default names.
const contractTF = `variable "image_id" { type = string }
variable "live_slot" { type = string }
variable "image_blue" { type = string }
variable "image_green" { type = string }
variable "weight_green" { type = number }
output "live_slot" { value = var.live_slot }
output "slot_images" { value = {} }
output "slot_outputs" { value = {} }
output "stats_url" { value = "" }
`

// strategyYAML is kiln.yaml with prod in tf/ and promote.strategy at line 10.
const strategyYAML = "version: 1\nimage: {family: web}\npacker: {template: p/}\nenvironments:\n  dev:\n    terraform: tf/\n  prod:\n    terraform: tf/\npromote:\n  strategy:\n"

func TestCheckStrategy(t *testing.T) {
	drop := func(s string, lines ...string) string {
		for _, l := range lines {
			s = replaceLine(t, s, l)
		}
		return s
	}
	for _, tc := range []struct {
		name, tf, strategy, want string
	}{
		{"replace checks nothing", "", "    type: replace\n", ""},
		{"blue-green, whole contract", contractTF, "    type: blue-green\n", ""},
		{"blue-green without health needs no stats_url", drop(contractTF, `output "stats_url" { value = "" }`), "    type: blue-green\n", ""},
		{"a missing variable", drop(contractTF, `variable "weight_green" { type = number }`), "    type: blue-green\n",
			"kiln.yaml:10: promote.strategy: blue-green strategy: prod (tf/) lacks variable weight_green (see docs/strategies.md)"},
		{"renamed variables", contractTF, "    type: blue-green\n    variables: {live_slot: active, image_green: next}\n",
			"kiln.yaml:10: promote.strategy: blue-green strategy: prod (tf/) lacks variable active, variable next (see docs/strategies.md)"},
		{"health needs stats_url", drop(contractTF, `output "stats_url" { value = "" }`), "    type: blue-green\n    health: {max_error_rate: 0.01}\n",
			"kiln.yaml:10: promote.strategy: blue-green strategy: prod (tf/) lacks output stats_url (see docs/strategies.md)"},
		{"canary analysis needs stats_url and the slot outputs", drop(contractTF, `output "stats_url" { value = "" }`, `output "slot_outputs" { value = {} }`),
			"    type: canary\n    steps: [{weight: 10, pause: 1s}]\n    analysis: {max_p99: 1s}\n",
			"kiln.yaml:10: promote.strategy: canary strategy: prod (tf/) lacks output slot_outputs, output stats_url (see docs/strategies.md)"},
		{"nothing declared", `variable "image_id" { type = string }`, "    type: canary\n    steps: [{weight: 10, pause: 1s}]\n",
			"kiln.yaml:10: promote.strategy: canary strategy: prod (tf/) lacks variable live_slot, variable image_blue, variable image_green, " +
				"variable weight_green, output live_slot, output slot_images, output slot_outputs (see docs/strategies.md)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "tf"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "tf", "main.tf"), []byte(tc.tf), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse([]byte(strategyYAML+tc.strategy), "kiln.yaml", dir)
			if err != nil {
				t.Fatal(err)
			}
			err = checkStrategy(cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkStrategy: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("checkStrategy:\n got %v\nwant %s", err, tc.want)
			}
			if exitcode.Of(err) != exitcode.Usage {
				t.Errorf("exit code %d, want %d (a configuration mistake)", exitcode.Of(err), exitcode.Usage)
			}
		})
	}
}

// TestCheckStrategyMissingDirectory: a promote environment whose directory is missing is
// left to the image variable check, which names it.
func TestCheckStrategyMissingDirectory(t *testing.T) {
	cfg, err := config.Parse([]byte(strategyYAML+"    type: blue-green\n"), "kiln.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStrategy(cfg); err != nil {
		t.Fatalf("checkStrategy: %v, want nil", err)
	}
}

func replaceLine(t *testing.T, s, line string) string {
	t.Helper()
	if !strings.Contains(s, line+"\n") {
		t.Fatalf("no line %q", line)
	}
	return strings.Replace(s, line+"\n", "", 1)
}

package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesValidate: kiln-validate checks the AWS and GCP examples as far as it can
// offline (Packer fmt and validate -syntax-only, Terraform fmt) and names what it skipped;
// with their commented promote.strategy uncommented, it also finds the strategy contract
// in their Terraform configuration.
func TestExamplesValidate(t *testing.T) {
	for _, tc := range []struct{ example, provider, strategy string }{
		{"aws", "registry.terraform.io/hashicorp/aws", "blue-green"},
		{"gcp", "registry.terraform.io/hashicorp/google", "canary"},
	} {
		for _, withStrategy := range []bool{false, true} {
			name := tc.example
			if withStrategy {
				name += "/" + tc.strategy
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				copyDir(t, filepath.Join(repoRoot, "examples", tc.example), dir)
				wants := []string{
					"ok   kiln.yaml schema", "ok   packer packer/: fmt -check", "ok   packer packer/: validate",
					"ok   terraform terraform/: fmt -check",
					"skip terraform terraform/: validate: provider " + tc.provider + " not installed (offline)",
				}
				if withStrategy {
					path := filepath.Join(dir, "kiln.yaml")
					writeFile(t, path, uncommentStrategy(t, readFile(t, path)))
					wants = append(wants, "ok   promote strategy "+tc.strategy+": environment prod's slot variables and outputs")
				}
				r := must(t, dir, "validate", nil, "--syntax-only", "--offline")
				for _, want := range wants {
					if !strings.Contains(r.stdout, want+"\n") {
						t.Errorf("kiln-validate lacks %q:\n%s", want, r.stdout)
					}
				}
				if !withStrategy && strings.Contains(r.stdout, "promote strategy") {
					t.Errorf("kiln-validate checked a strategy the example does not use:\n%s", r.stdout)
				}
			})
		}
	}
	// The fast fixture needs no provider: offline, it is fully validated.
	w := newWorld(t)
	r := must(t, w.dir, "validate", nil, "--offline")
	if !strings.Contains(r.stdout, "ok   terraform terraform/: validate\n") {
		t.Fatalf("offline validate of the fast fixture:\n%s", r.stdout)
	}
}

// uncommentStrategy returns an example's kiln.yaml with its commented promote.strategy
// block ("  # strategy:" and the "  #   " lines after it) uncommented, as a user would.
func uncommentStrategy(t *testing.T, cfg string) string {
	t.Helper()
	lines := strings.Split(cfg, "\n")
	found := false
	for i, l := range lines {
		if l == "  # strategy:" {
			found = true
			lines[i] = "  strategy:"
			for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "  #   "); j++ {
				lines[j] = "  " + strings.TrimPrefix(lines[j], "  # ")
			}
			break
		}
	}
	if !found {
		t.Fatal("kiln.yaml has no commented promote.strategy block")
	}
	return strings.Join(lines, "\n")
}

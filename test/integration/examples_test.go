package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesValidate: kiln-validate checks the AWS and GCP examples as far as it can
// offline (Packer fmt and validate -syntax-only, Terraform fmt) and names what it skipped.
func TestExamplesValidate(t *testing.T) {
	for _, tc := range []struct{ example, provider string }{
		{"aws", "registry.terraform.io/hashicorp/aws"},
		{"gcp", "registry.terraform.io/hashicorp/google"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, filepath.Join(repoRoot, "examples", tc.example), dir)
			r := must(t, dir, "validate", nil, "--syntax-only", "--offline")
			for _, want := range []string{
				"ok   kiln.yaml schema", "ok   packer packer/: fmt -check", "ok   packer packer/: validate",
				"ok   terraform terraform/: fmt -check",
				"skip terraform terraform/: validate: provider " + tc.provider + " not installed (offline)",
			} {
				if !strings.Contains(r.stdout, want+"\n") {
					t.Errorf("kiln-validate lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
	// The fast fixture needs no provider: offline, it is fully validated.
	w := newWorld(t)
	r := must(t, w.dir, "validate", nil, "--offline")
	if !strings.Contains(r.stdout, "ok   terraform terraform/: validate\n") {
		t.Fatalf("offline validate of the fast fixture:\n%s", r.stdout)
	}
}

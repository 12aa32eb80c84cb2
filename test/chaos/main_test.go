// Package chaos cancels kiln steps at random moments, with every signal a CI runner sends
// (SIGINT, SIGTERM, SIGKILL of kiln, SIGKILL of kiln's whole process group), and checks what
// each cancel left: tool processes, secret files, the record and kiln.env, the Terraform
// state lock, Vault tokens; after a SIGKILL, that kiln-sweep brings the machine back; and
// that the next run of the step succeeds. It runs the real kiln binaries, Packer, Terraform
// and Vault on the integration tests' fast fixture (Packer's file builder, terraform_data,
// both with slow provisioners that start children), with Terraform's state in the http
// backend of a fake of GitLab's Terraform state API.
//
// `make chaos` runs KILN_CHAOS_RUNS (60) cancels; `make test` runs a few; -short skips it.
package chaos

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

var (
	binDir    string
	terraform string
	packer    string
	repoRoot  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("chaos: skipped with -short")
		os.Exit(0)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	terraform = testkit.ToolPath(repoRoot, "terraform", "KILN_TERRAFORM")
	packer = testkit.ToolPath(repoRoot, "packer", "KILN_PACKER")
	vault := testkit.ToolPath(repoRoot, "vault", "KILN_VAULT")
	if terraform == "" || packer == "" || vault == "" {
		if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
			fmt.Fprintln(os.Stderr, "chaos: terraform, packer or vault missing from .tools/bin (run make tools)")
			os.Exit(1)
		}
		fmt.Println("chaos: skipped: run `make tools` for .tools/bin/terraform, packer and vault")
		os.Exit(0)
	}
	os.Exit(testkit.RunWithSteps(m, repoRoot, "chaos", &binDir))
}

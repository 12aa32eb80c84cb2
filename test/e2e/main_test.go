// Package e2e runs kiln's local example for real, once: scripts/demo.sh bakes a Debian image
// with Packer's qemu builder, deploys it to dev as QEMU VMs with Terraform, tests it, promotes
// it to prod and destroys dev; then a dev VM whose service is stopped makes kiln-test fail and
// kiln-promote refuse, a repaired one passes again, and scripts/demo-clean.sh stops
// everything.
//
// It needs root (debootstrap), QEMU, debootstrap and the pinned tools in .tools/bin (make
// tools). `go test -short` skips it; so does a machine without QEMU or debootstrap, unless
// KILN_REQUIRE_TOOLS is set, in which case scripts/demo.sh installs them (as root). The test
// logs how long each command took; KILN_E2E_TIMINGS=FILE also writes that list to FILE.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

var (
	repoRoot string
	binDir   string            // the kiln binaries built for this run
	toolEnv  map[string]string // KILN_TERRAFORM, KILN_PACKER
)

// skipReason says why the machine cannot run the test, or "".
func skipReason(require bool) string {
	if os.Geteuid() != 0 {
		return "needs root (debootstrap builds the base image)"
	}
	for _, tool := range []string{"terraform", "packer"} {
		if _, err := os.Stat(filepath.Join(repoRoot, ".tools", "bin", tool)); err != nil {
			return "run `make tools` for .tools/bin/" + tool
		}
	}
	if require {
		return "" // scripts/demo.sh installs QEMU and debootstrap
	}
	for _, cmd := range []string{"qemu-system-x86_64", "qemu-img", "debootstrap"} {
		if _, err := exec.LookPath(cmd); err != nil {
			if _, err := os.Stat(filepath.Join("/usr/sbin", cmd)); err != nil {
				return cmd + " is not installed (apt-get install qemu-system-x86 qemu-utils debootstrap)"
			}
		}
	}
	return ""
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped with -short")
		os.Exit(0)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	require := os.Getenv("KILN_REQUIRE_TOOLS") != ""
	if why := skipReason(require); why != "" {
		if require {
			fmt.Fprintln(os.Stderr, "e2e:", why)
			os.Exit(1)
		}
		fmt.Println("e2e: skipped:", why)
		os.Exit(0)
	}
	toolEnv = map[string]string{
		"KILN_TERRAFORM": filepath.Join(repoRoot, ".tools", "bin", "terraform"),
		"KILN_PACKER":    filepath.Join(repoRoot, ".tools", "bin", "packer"),
	}
	os.Exit(testkit.RunWithSteps(m, repoRoot, "e2e", &binDir))
}

// environ is this process's environment with extra variables set (an empty value unsets).
func environ(extra map[string]string) []string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// Package integration runs the real kiln binaries against the real Packer and Terraform on a
// fast fixture: Packer's file builder and Terraform's built-in terraform_data resource, so
// nothing is downloaded. `go test -short` skips it.
package integration

import (
	"bytes"
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
	binDir    string // the kiln binaries built for this test run
	terraform string
	packer    string
	repoRoot  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration: skipped with -short")
		os.Exit(0)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	terraform = testkit.ToolPath(repoRoot, "terraform", "KILN_TERRAFORM")
	packer = testkit.ToolPath(repoRoot, "packer", "KILN_PACKER")
	if terraform == "" || packer == "" {
		if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
			fmt.Fprintln(os.Stderr, "integration: terraform or packer missing from .tools/bin (run make tools)")
			os.Exit(1)
		}
		fmt.Println("integration: skipped: run `make tools` for .tools/bin/terraform and packer")
		os.Exit(0)
	}
	os.Exit(testkit.RunWithSteps(m, repoRoot, "integration", &binDir))
}

// result is one run of a kiln binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// kiln runs binary (kiln-<step>) in dir with a built environment plus extra variables.
func kiln(t testing.TB, dir, step string, env map[string]string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step), args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir, env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run kiln-%s: %v", step, err)
	}
	return result{code, out.String(), errb.String()}
}

func baseEnv(dir string, extra map[string]string) []string {
	env := map[string]string{
		"PATH":               "/usr/local/bin:/usr/bin:/bin",
		"HOME":               filepath.Join(dir, ".home"),
		"KILN_TERRAFORM":     terraform,
		"KILN_PACKER":        packer,
		"KILN_SOURCE_SHA":    "0123456789abcdef0123456789abcdef01234567",
		"KILN_SOURCE_REF":    "master",
		"KILN_TOOLS_OFFLINE": "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	var out []string
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// must runs a step and fails the test unless it exits 0.
func must(t testing.TB, dir, step string, env map[string]string, args ...string) result {
	t.Helper()
	r := kiln(t, dir, step, env, args...)
	if r.code != 0 {
		t.Fatalf("kiln-%s: %s", step, r)
	}
	return r
}

// wantExit fails the test unless the run exited with code and stderr contains every part.
func wantExit(t testing.TB, r result, code int, parts ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Fatalf("stderr lacks %q: %s", p, r)
		}
	}
}

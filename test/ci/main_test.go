// Package ci tests kiln's CI integrations with the real tools: the GitLab components run by
// gitlab-ci-local (shell executor) on the fast fixture, the GitHub workflows checked by
// actionlint and run by act on the host (act_test.go), and the Jenkinsfile's stage commands
// run in order. The README's snippets are
// the pipelines these tests run. `go test -short` skips it; a missing tool skips a test
// unless KILN_REQUIRE_TOOLS=1 (then it fails: run `make tools ci-tools`). The kiln binaries
// are built for the run, or taken from KILN_TEST_BIN_DIR.
package ci

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

var (
	repoRoot string
	binDir   string // the kiln binaries built for this run
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("ci: skipped with -short")
		os.Exit(0)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if binDir = os.Getenv("KILN_TEST_BIN_DIR"); binDir != "" {
		os.Exit(m.Run()) // binaries built beforehand (make build)
	}
	os.Exit(testkit.RunWithSteps(m, repoRoot, "ci", &binDir))
}

// tool returns the path of a tool the test needs: $env when set, else the project's
// .tools/bin or node_modules/.bin, else PATH. Missing, it skips the test, or fails it under
// KILN_REQUIRE_TOOLS=1.
func tool(t testing.TB, name, env string) string {
	t.Helper()
	if env != "" && os.Getenv(env) != "" {
		return os.Getenv(env)
	}
	for _, dir := range []string{".tools/bin", "node_modules/.bin"} {
		p := filepath.Join(repoRoot, dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is missing: run `make tools ci-tools`", name)
	}
	t.Skipf("%s is missing: run `make tools ci-tools`", name)
	return ""
}

// toolEnv is the environment every kiln run in these tests gets: the pinned Terraform and
// Packer, no downloads, no inherited Terraform CLI configuration.
func toolEnv(t testing.TB, home string) map[string]string {
	return map[string]string{
		"PATH":               "/usr/local/bin:/usr/bin:/bin",
		"HOME":               home,
		"KILN_TERRAFORM":     tool(t, "terraform", "KILN_TERRAFORM"),
		"KILN_PACKER":        tool(t, "packer", "KILN_PACKER"),
		"KILN_TOOLS_OFFLINE": "1",
	}
}

// run runs argv in dir with exactly env; it returns the combined output and the exit code.
func run(t testing.TB, dir string, env map[string]string, argv ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run %v: %v", argv, err)
	}
	return out.String(), 0
}

// must runs argv and fails the test unless it exits 0.
func must(t testing.TB, dir string, env map[string]string, argv ...string) string {
	t.Helper()
	out, code := run(t, dir, env, argv...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", argv, code, out)
	}
	return out
}

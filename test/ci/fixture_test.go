package ci

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// fixture is a git repository holding the fast fixture (Packer's file builder, Terraform's
// terraform_data) with a dev and a prod "service" on 127.0.0.1. Its Terraform state lives
// outside the work tree (a local backend's workspace_dir) and so does its image registry:
// they stand in for a remote backend and a cloud's image store, which every CI job shares.
type fixture struct {
	root     string // temp dir: repo/, state/, registry/, home/
	repo     string
	state    string
	registry string
	devOK    atomic.Bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{root: root, repo: filepath.Join(root, "repo"), state: filepath.Join(root, "state"),
		registry: filepath.Join(root, "registry")}
	f.devOK.Store(true)
	var prodOK atomic.Bool
	prodOK.Store(true)
	dev, prod := service(t, &f.devOK), service(t, &prodOK)
	copyDir(t, filepath.Join(repoRoot, "test", "integration", "testdata", "fast"), f.repo)
	cfg := readFile(t, filepath.Join(f.repo, "kiln.yaml"))
	cfg = strings.ReplaceAll(cfg, "${DEV_PORT}", port(t, dev))
	cfg = strings.ReplaceAll(cfg, "${PROD_PORT}", port(t, prod))
	writeFile(t, filepath.Join(f.repo, "kiln.yaml"), cfg)
	writeFile(t, filepath.Join(f.repo, "terraform", "backend.tf"),
		"terraform {\n  backend \"local\" {\n    workspace_dir = \""+f.state+"\"\n  }\n}\n")
	writeFile(t, filepath.Join(f.repo, ".gitignore"), ".gitlab-ci-local/\noutput/\n.terraform/\nkiln-image.json\nkiln.env\nkiln-junit.xml\n")
	for _, d := range []string{f.state, f.registry, filepath.Join(root, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// env is the environment kiln and the CI tools run with in f.
func (f *fixture) env(t testing.TB) map[string]string {
	env := toolEnv(t, filepath.Join(f.root, "home"))
	env["KILN_REGISTRY_PATH"] = f.registry
	env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = "kiln test", "test@kiln.invalid"
	env["GIT_COMMITTER_NAME"], env["GIT_COMMITTER_EMAIL"] = "kiln test", "test@kiln.invalid"
	return env
}

// commit initializes the repository on master (once) and commits everything.
func (f *fixture) commit(t testing.TB, msg string) string {
	t.Helper()
	env := f.env(t)
	if _, err := os.Stat(filepath.Join(f.repo, ".git")); err != nil {
		must(t, f.repo, env, "git", "init", "-q", "-b", "master")
		must(t, f.repo, env, "git", "remote", "add", "origin", "https://gitlab.example.invalid/kiln/demo.git")
		must(t, f.repo, env, "git", "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/master")
	}
	must(t, f.repo, env, "git", "add", "-A")
	must(t, f.repo, env, "git", "commit", "-q", "--allow-empty", "-m", msg)
	return strings.TrimSpace(must(t, f.repo, env, "git", "rev-parse", "HEAD"))
}

// resources reads a workspace's Terraform state and returns each terraform_data
// resource's input (the image id), by address; nil when the workspace has no state.
func (f *fixture) resources(t testing.TB, workspace string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.state, workspace, "terraform.tfstate"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return testkit.StateInputs(t, b, workspace)
}

// images lists the ids of the images in the local registry.
func (f *fixture) images(t testing.TB) []string {
	entries, _ := os.ReadDir(filepath.Join(f.registry, "images"))
	var ids []string
	for _, e := range entries {
		ids = append(ids, "local:sha256:"+e.Name())
	}
	return ids
}

// dotenv parses a kiln.env file.
func dotenv(t testing.TB, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(readFile(t, path), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

func service(t testing.TB, healthy *atomic.Bool) *httptest.Server { return testkit.Service(t, healthy) }
func port(t testing.TB, s *httptest.Server) string                { return testkit.Port(t, s) }
func readFile(t testing.TB, path string) string                   { return testkit.ReadFile(t, path) }
func writeFile(t testing.TB, path, content string)                { testkit.WriteFile(t, path, content) }
func copyDir(t testing.TB, from, to string)                       { testkit.CopyDir(t, from, to) }

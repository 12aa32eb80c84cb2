// Package testkit is what kiln's binary-level test packages (test/integration, test/ci,
// test/e2e) share: building the step binaries, a health service on 127.0.0.1, and file
// helpers that fail the test on error. It also holds what the packages that start a real
// tool server for a test (vaulttest, ocitest) share: finding the tool, a free port, and the
// server process's lifecycle.
package testkit

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BuildSteps builds every kiln step binary of the module at repoRoot into a new temporary
// directory (named after prefix) and returns it; the caller removes it.
func BuildSteps(repoRoot, prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix+"-bin-*")
	if err != nil {
		return "", err
	}
	// -trimpath as the Makefile and the GitHub action build: the tests then share their
	// build cache instead of compiling everything twice.
	cmd := exec.Command("go", "build", "-trimpath", "-o", dir+"/", "./steps/...")
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building kiln: %w", err)
	}
	return dir, nil
}

// Service starts an HTTP server on 127.0.0.1 that answers /healthz with "ok" while healthy
// is true, else 503; it stops when the test ends.
func Service(t testing.TB, healthy *atomic.Bool) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s
}

// Port returns the port a test server listens on.
func Port(t testing.TB, s *httptest.Server) string {
	_, p, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ReadFile returns a file's content.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// WriteFile writes content to path (0644), creating its directory.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// CopyDir copies a tree, keeping file modes, without Packer's and Terraform's leftovers
// (output/, .terraform/, terraform.tfstate.d/).
func CopyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			switch d.Name() {
			case "output", ".terraform", "terraform.tfstate.d":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ToolPath returns the tool binary a test package runs: $env when set, else repoRoot's
// .tools/bin/name; "" when neither exists.
func ToolPath(repoRoot, name, env string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	p := filepath.Join(repoRoot, ".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// RunWithSteps builds the step binaries into a temporary directory, stores its path in
// *binDir, runs the tests and removes the directory; it returns the exit code for os.Exit.
// label names the test package in the build error.
func RunWithSteps(m *testing.M, repoRoot, label string, binDir *string) int {
	dir, err := BuildSteps(repoRoot, "kiln-"+label)
	if err != nil {
		fmt.Fprintln(os.Stderr, label+":", err)
		return 1
	}
	*binDir = dir
	defer os.RemoveAll(dir)
	return m.Run()
}

// StateInputs decodes a Terraform state file (name, for the error) and returns the input of
// every terraform_data resource instance by address (type.name): the image id each holds.
func StateInputs(t testing.TB, data []byte, name string) map[string]string {
	t.Helper()
	var st struct {
		Resources []struct {
			Type, Name string
			Instances  []struct {
				Attributes struct {
					Input struct{ Value string } `json:"input"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("terraform state %s: %v", name, err)
	}
	out := map[string]string{}
	for _, r := range st.Resources {
		for _, in := range r.Instances {
			out[r.Type+"."+r.Name] = in.Attributes.Input.Value
		}
	}
	return out
}

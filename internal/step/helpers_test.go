package step

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)

// minimalConfig is the smallest kiln.yaml config.Load accepts.
const minimalConfig = "version: 1\nimage: {family: demo}\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n"

// fakeStep is a Step whose Run is a test's function.
type fakeStep struct {
	flags []Flag
	env   []string
	run   func(ctx context.Context, r *Run) error
}

func (fakeStep) Name() string        { return "x" }
func (fakeStep) String() string      { return "doing x" }
func (fakeStep) Description() string { return "Does x for the tests." }
func (s fakeStep) Flags() []Flag     { return s.flags }
func (s fakeStep) EnvVars() []string { return s.env }
func (s fakeStep) Run(ctx context.Context, r *Run) error {
	if s.run == nil {
		return nil
	}
	return s.run(ctx, r)
}

// result is what one Execute returned and printed.
type result struct {
	code           int
	stdout, stderr string
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// run runs s in dir with the variables vars and arguments args.
func run(t *testing.T, ctx context.Context, dir string, vars map[string]string, s Step, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := MapEnv(vars, dir, &stdout, &stderr, func() time.Time { return t0 })
	code := Execute(ctx, env, s, args)
	return result{code, stdout.String(), stderr.String()}
}

// workdir returns a temporary directory holding kiln.yaml with content cfg ("" for none).
func workdir(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeFile writes content to path, creating its directory.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

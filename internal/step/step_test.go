package step

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestExecute(t *testing.T) {
	for _, tc := range []struct {
		name     string
		config   string // kiln.yaml; "" for none
		err      error  // what the step returns
		wantCode int
		wantLast string // the last stderr line; its prefix when it ends in "..."
		wantRan  bool
	}{
		{"ok", minimalConfig, nil, 0, "kiln-x: doing x (local)", true},
		{"step error", minimalConfig, errors.New("terraform apply in t: boom"), 1, "kiln-x: error: terraform apply in t: boom", true},
		{"coded error", minimalConfig, exitcode.New(exitcode.RecordInvalid, "record kiln-image.json: missing"), 6,
			"kiln-x: error: record kiln-image.json: missing", true},
		{"wrapped coded error", minimalConfig, fmt.Errorf("deploy: %w", exitcode.New(exitcode.Locked, "state locked")), 3,
			"kiln-x: error: deploy: state locked", true},
		{"multi-line error", minimalConfig, errors.New("\npacker build: failed\nsecond line\nthird"), 1,
			"kiln-x: error: packer build: failed", true},
		{"skip", minimalConfig, Skip("no %s to destroy", "state"), 0, "kiln-x: nothing to do: no state to destroy", true},
		{"wrapped skip", minimalConfig, fmt.Errorf("destroy: %w", Skip("empty")), 0, "kiln-x: nothing to do: empty", true},
		{"usage error", minimalConfig, UsageError("--environment %q: not in kiln.yaml", "qa"), 2,
			`kiln-x: error: --environment "qa": not in kiln.yaml`, true},
		{"config with unknown key", minimalConfig + "bogus: 1\n", nil, 2, "kiln-x: error: ", false},
		{"config missing", "", nil, 2, "kiln-x: error: ", false},
		{"config syntax error", "version: 1\nimage: [\n", nil, 2, "kiln-x: error: ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			s := fakeStep{run: func(context.Context, *Run) error { ran = true; return tc.err }}
			dir := workdir(t, tc.config)
			r := run(t, context.Background(), dir, nil, s)
			if r.code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tc.wantCode, r.stderr)
			}
			if ran != tc.wantRan {
				t.Errorf("step ran: %v, want %v", ran, tc.wantRan)
			}
			got := lines(r.stderr)
			if tc.wantCode == 0 {
				// A step that succeeds ends with how long it took.
				if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "kiln-x: finished in ") {
					t.Fatalf("stderr %q: want the last line to say how long the step took", r.stderr)
				}
				got = got[:len(got)-1]
			} else if strings.Contains(r.stderr, "finished in") {
				t.Errorf("stderr %q: a failed step says it finished", r.stderr)
			}
			if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], tc.wantLast) {
				t.Fatalf("stderr %q: want the last line to start with %q", r.stderr, tc.wantLast)
			}
			if n := strings.Count(r.stderr, ": error: "); n > 1 {
				t.Errorf("%d error lines in %q, want at most one", n, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// TestExecuteConfigError checks that a kiln.yaml error names the file and line, on one line.
func TestExecuteConfigError(t *testing.T) {
	dir := workdir(t, minimalConfig+"bogus: 1\n")
	r := run(t, context.Background(), dir, nil, fakeStep{})
	want := "kiln-x: error: " + filepath.Join(dir, "kiln.yaml") + `:5: unknown key "bogus" at the top level`
	if got := lines(r.stderr); r.code != 2 || len(got) != 1 || got[0] != want {
		t.Errorf("exit %d, stderr %q; want 2 and the one line %q", r.code, r.stderr, want)
	}
}

// TestExecuteConfigFlag checks that --config and KILN_CONFIG are taken from the working
// directory.
func TestExecuteConfigFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"--config", "ci/kiln.yaml"}, nil},
		{"variable", nil, map[string]string{"KILN_CONFIG": "ci/kiln.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "ci", "kiln.yaml"), minimalConfig)
			var cfgDir string
			s := fakeStep{run: func(_ context.Context, r *Run) error { cfgDir = r.Config.Dir; return nil }}
			if r := run(t, context.Background(), dir, tc.env, s, tc.args...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if want := filepath.Join(dir, "ci"); cfgDir != want {
				t.Errorf("Config.Dir = %q, want %q", cfgDir, want)
			}
		})
	}
}

// TestExecuteRun checks what a step gets: options, the stop timeout, the CI, empty maps.
func TestExecuteRun(t *testing.T) {
	var got *Run
	s := fakeStep{flags: []Flag{DryRun}, run: func(_ context.Context, r *Run) error { got = r; return nil }}
	vars := map[string]string{"GITLAB_CI": "true", "KILN_STOP_TIMEOUT": "5s"}
	if r := run(t, context.Background(), workdir(t, minimalConfig), vars, s, "--dry-run"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	switch {
	case got.StopTimeout != 5*time.Second:
		t.Errorf("StopTimeout = %v", got.StopTimeout)
	case got.CI.Name() != "gitlab":
		t.Errorf("CI = %s", got.CI.Name())
	case !got.Opts.Bool("dry-run"):
		t.Error("--dry-run is off")
	case got.ChildEnv == nil || got.TFVars == nil:
		t.Error("ChildEnv or TFVars is nil")
	case got.Config.Image.Family != "demo":
		t.Errorf("Config.Image.Family = %q", got.Config.Image.Family)
	}
}

func TestPath(t *testing.T) {
	r := &Run{Env: Env{Dir: "/work/repo"}}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"kiln.yaml", "/work/repo/kiln.yaml"},
		{"ci/../kiln.env", "/work/repo/kiln.env"},
		{"/abs/kiln-image.json", "/abs/kiln-image.json"},
	} {
		if got := r.Path(tc.in); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExecuteInterrupted checks 130/143 after a signal, whatever the step returned.
func TestExecuteInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sig      syscall.Signal
		err      error
		wantCode int
		wantLine string
	}{
		{"SIGINT, cancelled", syscall.SIGINT, fmt.Errorf("packer build: stopped: %w", context.Canceled), 130,
			"kiln-x: interrupted: the child tool was stopped; nothing was recorded"},
		{"SIGTERM, cancelled", syscall.SIGTERM, fmt.Errorf("terraform apply: stopped: %w", context.Canceled), 143,
			"kiln-x: interrupted: the child tool was stopped; nothing was recorded"},
		{"SIGTERM, step finished", syscall.SIGTERM, nil, 143,
			"kiln-x: interrupted: the child tool was stopped; nothing was recorded"},
		{"SIGINT, other error", syscall.SIGINT, exitcode.New(exitcode.Locked, "state locked\nmore"), 130,
			"kiln-x: interrupted: state locked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan os.Signal, 1)
			ctx, stop := notifyContext(context.Background(), ch)
			defer stop()
			s := fakeStep{run: func(ctx context.Context, _ *Run) error {
				ch <- tc.sig
				<-ctx.Done() // as a step waits for its child tool to stop
				return tc.err
			}}
			r := run(t, ctx, workdir(t, minimalConfig), nil, s)
			if r.code != tc.wantCode {
				t.Errorf("exit %d, want %d", r.code, tc.wantCode)
			}
			if got := lines(r.stderr); got[len(got)-1] != tc.wantLine {
				t.Errorf("stderr %q, want last line %q", r.stderr, tc.wantLine)
			}
		})
	}
}

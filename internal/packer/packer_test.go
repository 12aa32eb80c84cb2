package packer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake packer: with KILN_FAKE_PACKER set to a mode, TestMain
// behaves as that packer instead of running the tests. It appends what it saw and what
// happened to it to $KILN_FAKE_PACKER_LOG.
func TestMain(m *testing.M) {
	if mode := os.Getenv("KILN_FAKE_PACKER"); mode != "" {
		os.Exit(fakePacker(mode))
	}
	os.Exit(m.Run())
}

func fakePacker(mode string) int {
	wd, _ := os.Getwd()
	note("args " + strings.Join(os.Args[1:], "|"))
	note("dir " + wd)
	note("env PACKER_NO_COLOR=" + os.Getenv("PACKER_NO_COLOR") + " CHECKPOINT_DISABLE=" + os.Getenv("CHECKPOINT_DISABLE"))
	switch mode {
	case "ok":
		fmt.Println("1700000000,,ui,say,hello")
		fmt.Fprintln(os.Stderr, "a warning")
		return 0
	case "fail":
		fmt.Println("1700000000,,ui,error,Build 'file.x' errored")
		fmt.Fprint(os.Stderr, "some context\nError: Failed to initialize build \"file.x\"\n\n  \n")
		return 1
	case "fail-silent":
		return 3
	case "leave-temp": // Packer's log copy in TMPDIR, left when it is killed
		if err := os.WriteFile(filepath.Join(os.TempDir(), "packer-log123"), []byte("secret"), 0o600); err != nil {
			return 97
		}
		note("tmp " + os.TempDir())
		time.Sleep(time.Hour) // until killed
	case "wait-int", "ignore-int":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt)
		note("ready")
		<-ch
		note("got SIGINT")
		if mode == "ignore-int" {
			select {} // until killed
		}
		fmt.Fprintln(os.Stderr, "cleaning up after the interrupt")
		return 1
	}
	return 99
}

func note(s string) {
	f, err := os.OpenFile(os.Getenv("KILN_FAKE_PACKER_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		os.Exit(98)
	}
	defer f.Close()
	fmt.Fprintln(f, s)
}

// fakeRunner returns a Runner whose packer is this test binary in mode, and the path of the
// fake's notes.
func fakeRunner(t *testing.T, mode string, log *bytes.Buffer) (*Runner, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(t.TempDir(), "notes")
	env, err := Env([]string{"PATH=" + os.Getenv("PATH"), "PACKER_NO_COLOR=0"},
		map[string]string{"KILN_FAKE_PACKER": mode, "KILN_FAKE_PACKER_LOG": notes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{Exec: exe, Env: env, Log: log, StopTimeout: time.Minute}, notes
}

func readNotes(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// templates returns a directory template and a file template in it.
func templates(t *testing.T) (dir, file Template) {
	t.Helper()
	d := t.TempDir()
	f := filepath.Join(d, "app.pkr.hcl")
	if err := os.WriteFile(f, []byte("# template\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"zone": "eu west", "app_version": "1.2.3", "note": "a=b c", "empty": ""}
	files := []string{"/cfg/z.pkrvars.hcl", "/cfg/a.pkrvars.hcl"}
	return Template{Path: d, Vars: vars, VarFiles: files}, Template{Path: f, Vars: vars, VarFiles: files}
}

func TestArgs(t *testing.T) {
	dirT, fileT := templates(t)
	vars := []string{"-var-file=/cfg/z.pkrvars.hcl", "-var-file=/cfg/a.pkrvars.hcl",
		"-var", "app_version=1.2.3", "-var", "empty=", "-var", "note=a=b c", "-var", "zone=eu west"}
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"init dir", InitArgs(dirT), []string{"init", "."}},
		{"init file", InitArgs(fileT), []string{"init", "app.pkr.hcl"}},
		{"fmt dir", FmtCheckArgs(dirT), []string{"fmt", "-check", "."}},
		{"fmt file", FmtCheckArgs(fileT), []string{"fmt", "-check", "app.pkr.hcl"}},
		{"validate dir", ValidateArgs(dirT, false), append(append([]string{"validate"}, vars...), ".")},
		{"validate file, syntax only", ValidateArgs(fileT, true), append(append([]string{"validate", "-syntax-only"}, vars...), "app.pkr.hcl")},
		{"build dir", BuildArgs(dirT), append(append([]string{"build", "-machine-readable", "-color=false", "-on-error=cleanup"}, vars...), ".")},
		{"build file", BuildArgs(fileT),
			append(append([]string{"build", "-machine-readable", "-color=false", "-on-error=cleanup"}, vars...), "app.pkr.hcl")},
		{"no vars", BuildArgs(Template{Path: fileT.Path}), []string{"build", "-machine-readable", "-color=false", "-on-error=cleanup", "app.pkr.hcl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("argv\n%q\nwant\n%q", tc.got, tc.want)
			}
		})
	}
}

func TestDirAndArg(t *testing.T) {
	dirT, fileT := templates(t)
	missing := Template{Path: filepath.Join(dirT.Path, "missing.pkr.hcl")}
	for _, tc := range []struct {
		t             Template
		wantDir, want string
	}{
		{dirT, dirT.Path, "."},
		{fileT, dirT.Path, "app.pkr.hcl"},
		{missing, dirT.Path, "missing.pkr.hcl"}, // Packer reports the missing file itself
	} {
		if dir, arg := tc.t.dirAndArg(); dir != tc.wantDir || arg != tc.want {
			t.Errorf("dirAndArg(%s) = %s, %s; want %s, %s", tc.t.Path, dir, arg, tc.wantDir, tc.want)
		}
	}
}

func TestEnv(t *testing.T) {
	got, err := Env([]string{"PATH=/bin", "PACKER_NO_COLOR=0", "CHECKPOINT_DISABLE=", "A=b=c", "PKR_VAR_x=old"},
		map[string]string{"PKR_VAR_x": "new"}, map[string]string{"AWS_ACCESS_KEY_ID": "key"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PATH": "/bin", "PACKER_NO_COLOR": "1", "CHECKPOINT_DISABLE": "1", "A": "b=c",
		"PKR_VAR_x": "new", "AWS_ACCESS_KEY_ID": "key"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env =\n%v\nwant\n%v", got, want)
	}
	if l := envList(want); !reflect.DeepEqual(l, []string{"A=b=c", "AWS_ACCESS_KEY_ID=key", "CHECKPOINT_DISABLE=1",
		"PACKER_NO_COLOR=1", "PATH=/bin", "PKR_VAR_x=new"}) {
		t.Errorf("envList = %q", l)
	}
}

func TestRun(t *testing.T) {
	dirT, fileT := templates(t)
	for _, tc := range []struct {
		name      string
		mode      string
		tmpl      Template
		args      []string
		wantErr   string // "" for success
		wantLog   string // in the log
		ownStdout bool   // pass a stdout writer instead of nil
	}{
		{"ok, stdout to the log", "ok", dirT, InitArgs(dirT), "", "1700000000,,ui,say,hello\n", false},
		{"ok, own stdout", "ok", fileT, BuildArgs(fileT), "", "a warning\n", true},
		{"failure carries the last stderr line", "fail", fileT, BuildArgs(fileT),
			`packer build: Error: Failed to initialize build "file.x"`, "some context\n", false},
		{"failure without stderr", "fail-silent", dirT, ValidateArgs(dirT, false), "packer validate: exit status 3", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log, stdout bytes.Buffer
			r, notes := fakeRunner(t, tc.mode, &log)
			var out io.Writer // nil: stdout goes to the log
			if tc.ownStdout {
				out = &stdout
			}
			err := r.Run(context.Background(), tc.tmpl, tc.args, out)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("Run error %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", log.String(), tc.wantLog)
			}
			if tc.ownStdout && (stdout.String() != "1700000000,,ui,say,hello\n" || strings.Contains(log.String(), "hello")) {
				t.Errorf("stdout %q, log %q: stdout should go to the writer only", stdout.String(), log.String())
			}
			want := []string{"args " + strings.Join(tc.args, "|"), "dir " + dirT.Path,
				"env PACKER_NO_COLOR=1 CHECKPOINT_DISABLE=1"}
			if got := readNotes(t, notes); !reflect.DeepEqual(got, want) {
				t.Errorf("the fake packer saw\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestRunMissingBinary(t *testing.T) {
	dirT, _ := templates(t)
	r := &Runner{Exec: filepath.Join(t.TempDir(), "packer")}
	err := r.Run(context.Background(), dirT, InitArgs(dirT), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "packer init: ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run error %v, want packer init: ... not found", err)
	}
}

// TestRunCancel checks that a cancelled context interrupts Packer with SIGINT, lets it clean
// up, and returns an error wrapping context.Canceled; and that a Packer ignoring SIGINT is
// killed after StopTimeout.
func TestRunCancel(t *testing.T) {
	dirT, _ := templates(t)
	for _, tc := range []struct {
		mode      string
		stop      time.Duration
		wantNotes []string
		wantLog   string
	}{
		{"wait-int", time.Minute, []string{"ready", "got SIGINT"}, "cleaning up after the interrupt"},
		{"ignore-int", 200 * time.Millisecond, []string{"ready", "got SIGINT"}, ""},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			var log bytes.Buffer
			r, notes := fakeRunner(t, tc.mode, &log)
			r.StopTimeout = tc.stop
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx, dirT, BuildArgs(dirT), nil) }()
			waitForNote(t, notes, "ready", done)
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) || err.Error() != "packer build: stopped: context canceled" {
				t.Errorf("Run error %v, want packer build: stopped wrapping context.Canceled", err)
			}
			if got := readNotes(t, notes)[3:]; !reflect.DeepEqual(got, tc.wantNotes) {
				t.Errorf("the fake packer noted %q, want %q", got, tc.wantNotes)
			}
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", log.String(), tc.wantLog)
			}
		})
	}
}

// waitForNote waits until the fake packer has noted want, or fails when Run ended first.
func waitForNote(t *testing.T, notes, want string, done <-chan error) {
	t.Helper()
	for {
		for _, n := range readNotes(t, notes) {
			if n == want {
				return
			}
		}
		select {
		case err := <-done:
			t.Fatalf("Run ended before the fake packer noted %q: %v", want, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestTail checks the bounded buffer behind error messages.
func TestTail(t *testing.T) {
	var tl tail
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&tl, "line %d\n", i)
	}
	fmt.Fprint(&tl, "last\n\n  \n")
	if len(tl.buf) > 64<<10 {
		t.Errorf("tail holds %d bytes", len(tl.buf))
	}
	if got := tl.last(); got != "last" {
		t.Errorf("last = %q", got)
	}
	var empty tail
	if got := empty.last(); got != "" {
		t.Errorf("last of nothing = %q", got)
	}
}

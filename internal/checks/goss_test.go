package checks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gossBinary returns the goss that scripts/tools.sh builds into .tools/bin; the test is
// skipped without it, unless KILN_REQUIRE_TOOLS=1 asks for every real tool.
func gossBinary(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	path, err := FindGoss("", wd, func(string) string { return "" })
	if err != nil {
		if os.Getenv("KILN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("KILN_REQUIRE_TOOLS=1: %v", err)
		}
		t.Skipf("%v; run scripts/tools.sh goss", err)
	}
	return path
}

func TestGoss(t *testing.T) {
	binary := gossBinary(t)
	w := newSSHWorld(t)
	dir := t.TempDir()
	present, later := filepath.Join(dir, "present"), filepath.Join(dir, "later")
	if err := os.WriteFile(present, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	gossfile := filepath.Join(dir, "goss.yaml")
	content := fmt.Sprintf("file:\n  %s:\n    exists: true\n  %s:\n    exists: true\n"+
		"command:\n  greet:\n    exec: echo hello\n    exit-status: 0\n    stdout: [hello]\n", present, later)
	if err := os.WriteFile(gossfile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	who := "goss " + testUser + "@" + w.srv.addr
	spec := Spec{Name: "goss", Kind: "goss", Timeout: 5 * time.Second,
		Goss: &Goss{SSHTarget: w.target, Gossfile: gossfile, Binary: binary}}

	t.Run("fails until the deadline", func(t *testing.T) {
		r, _, log := testRunner()
		got := r.Run(context.Background(), []Spec{spec})[0]
		want := "gave up after 3 attempts in 4s: " + who + ": 1 of 4 assertions failed: File " + later + " exists"
		if got.Passed || got.Message != want {
			t.Errorf("got %q\nwant %q\nlog:\n%s", got.Message, want, log)
		}
		wantNames := []string{"Command greet exit-status", "Command greet stdout", "File " + later + " exists", "File " + present + " exists"}
		if names, passed := assertionNames(got.Assertions); !reflect.DeepEqual(names, wantNames) || passed != "++-+" {
			t.Errorf("assertions %q passed %s, want %q ++-+", names, passed, wantNames)
		}
		if !strings.HasPrefix(got.Assertions[2].Message, "File: "+later+": exists:") {
			t.Errorf("failed assertion's message %q is not goss's summary", got.Assertions[2].Message)
		}
	})
	t.Run("passes once the file appears", func(t *testing.T) {
		r, clock, _ := testRunner()
		r.Sleep = func(ctx context.Context, d time.Duration) error {
			if err := os.WriteFile(later, nil, 0o644); err != nil {
				return err
			}
			return clock.Sleep(ctx, d)
		}
		got := r.Run(context.Background(), []Spec{spec})[0]
		want := "passed on attempt 2: " + who + ": 4 assertions passed"
		if !got.Passed || got.Message != want || len(got.Assertions) != 4 {
			t.Errorf("got %+v, want %q with 4 assertions", got, want)
		}
	})
	t.Run("copied once", func(t *testing.T) {
		copies := 0
		for _, c := range w.srv.ran() {
			if strings.Contains(c, "cat > ") {
				copies++
			}
		}
		if copies != 1 {
			t.Errorf("goss was copied %d times over 5 attempts, want once", copies)
		}
	})
	t.Run("invalid gossfile", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte("file: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s := spec
		s.Goss = &Goss{SSHTarget: w.target, Gossfile: bad, Binary: binary}
		r, _, _ := testRunner()
		got := r.Run(context.Background(), []Spec{s})[0]
		want := "failed on attempt 1, not retried: " + who + `: goss validate exited 78 without a JSON report; stdout: "Error: unable to determine format from content"`
		if got.Passed || got.Message != want || got.Assertions != nil {
			t.Errorf("got %+v\nwant %q", got, want)
		}
	})
}

// assertionNames lists the assertions' names and their outcomes as + (passed), - (failed)
// and s (skipped).
func assertionNames(as []Assertion) ([]string, string) {
	var names []string
	var outcomes strings.Builder
	for _, a := range as {
		names = append(names, a.Name)
		switch {
		case a.Skipped:
			outcomes.WriteByte('s')
		case a.Passed:
			outcomes.WriteByte('+')
		default:
			outcomes.WriteByte('-')
		}
	}
	return names, outcomes.String()
}

func TestGossSpecErrors(t *testing.T) {
	w := newSSHWorld(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "goss.sh")
	gossfile := filepath.Join(dir, "goss.yaml")
	for _, f := range []string{script, gossfile} {
		if err := os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	who := "goss " + testUser + "@" + w.srv.addr
	tests := []struct {
		name string
		goss *Goss
		want string
	}{
		{"no settings", nil, "kind goss without goss settings"},
		{"no gossfile", &Goss{SSHTarget: w.target, Gossfile: filepath.Join(dir, "nope.yaml"), Binary: script},
			who + ": gossfile: open " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
		{"no binary", &Goss{SSHTarget: w.target, Gossfile: gossfile}, who + ": no goss binary"},
		{"binary not ELF", &Goss{SSHTarget: w.target, Gossfile: gossfile, Binary: script},
			who + ": goss binary " + script + " is not a Linux executable (ELF)"},
		{"bad host key", &Goss{SSHTarget: SSHTarget{Address: w.target.Address, User: testUser, PrivateKeyFile: w.target.PrivateKeyFile},
			Gossfile: gossfile, Binary: script}, who + ": host key: none given; pin the server's public host key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{{Name: "goss", Kind: "goss", Goss: tt.goss}})[0]
			if got.Passed || got.Attempts != 0 || got.Message != tt.want {
				t.Errorf("got %+v\nwant a failure before any attempt: %q", got, tt.want)
			}
		})
	}
}

func TestParseGossReport(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "goss-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseGossReport(data)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"Command echo-hi exit-status", "Command echo-hi stdout", "File /etc/hostname exists", "File /nonexistent exists", "File /skipped exists"}
	if names, outcomes := assertionNames(got); !reflect.DeepEqual(names, wantNames) || outcomes != "+-+-s" {
		t.Errorf("got %q %s, want %q +-+-s", names, outcomes, wantNames)
	}
	if got[3].Message != "File: /nonexistent: exists:\nExpected\n    false\nto equal\n    true" || got[3].Duration <= 0 {
		t.Errorf("assertion %+v: want goss's summary line and duration", got[3])
	}
	for _, bad := range []string{``, `{}`, `{"results": [], "summary": null}`, `{"results": [{"resource-type": "File"}], "summary": {}}`, `{"results": [{"result": 7}], "summary": {}}`} {
		if _, err := parseGossReport([]byte(bad)); err == nil {
			t.Errorf("parseGossReport(%q) succeeded", bad)
		}
	}
}

func TestVerdict(t *testing.T) {
	pass := Assertion{Name: "File /a exists", Passed: true}
	skip := Assertion{Name: "File /s exists", Passed: true, Skipped: true}
	fail := func(n int) Assertion { return Assertion{Name: fmt.Sprintf("File /f%d exists", n)} }
	tests := []struct {
		name      string
		as        []Assertion
		want      string
		permanent bool
	}{
		{"passed", []Assertion{pass, pass}, "goss x: 2 assertions passed", false},
		{"passed and skipped", []Assertion{pass, skip}, "goss x: 1 assertion passed, 1 skipped", false},
		{"one failed", []Assertion{pass, fail(1)}, "goss x: 1 of 2 assertions failed: File /f1 exists", false},
		{"many failed", []Assertion{fail(1), fail(2), fail(3), fail(4), fail(5), pass},
			"goss x: 5 of 6 assertions failed: File /f1 exists, File /f2 exists, File /f3 exists, and 2 more", false},
		{"none", nil, "goss x: the gossfile has no assertions", true},
		{"all skipped", []Assertion{skip, skip}, "goss x: no assertion passed: all 2 were skipped", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			note, err := verdict("goss x", tt.as)
			got := note
			if err != nil {
				got = err.Error()
			}
			var perm *permanentError
			if got != tt.want || errors.As(err, &perm) != tt.permanent {
				t.Errorf("got %q (permanent %v), want %q (permanent %v)", got, errors.As(err, &perm), tt.want, tt.permanent)
			}
		})
	}
}

func TestFindGoss(t *testing.T) {
	root := t.TempDir()
	tools := filepath.Join(root, ".tools", "bin")
	pathDir := filepath.Join(root, "path")
	deep := filepath.Join(root, "a", "b")
	for _, d := range []string{tools, pathDir, deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plain := filepath.Join(root, "plain")
	for _, f := range []string{filepath.Join(pathDir, "goss"), plain} {
		if err := os.WriteFile(f, nil, map[bool]os.FileMode{true: 0o755, false: 0o644}[f != plain]); err != nil {
			t.Fatal(err)
		}
	}
	getenv := func(k string) string { return map[string]string{"PATH": ":" + pathDir}[k] }
	tests := []struct {
		name, explicit, dir, want, wantErr string
		tools                              bool
	}{
		{"explicit", filepath.Join(pathDir, "goss"), deep, filepath.Join(pathDir, "goss"), "", true},
		{"explicit missing", filepath.Join(root, "nope"), deep, "", "goss binary " + filepath.Join(root, "nope") + ": no such file or directory", true},
		{"explicit not executable", plain, deep, "", "goss binary " + plain + ": not an executable file", true},
		{".tools/bin above", "", deep, filepath.Join(tools, "goss"), "", true},
		{"PATH", "", deep, filepath.Join(pathDir, "goss"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(tools, "goss"))
			if tt.tools {
				if err := os.WriteFile(filepath.Join(tools, "goss"), nil, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			got, err := FindGoss(tt.explicit, tt.dir, getenv)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
				t.Errorf("FindGoss = %q, %v; want %q, %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := FindGoss("", deep, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "goss not found") {
		t.Errorf("FindGoss with nothing to find: %v", err)
	}
}

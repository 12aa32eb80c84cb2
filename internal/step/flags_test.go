package step

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/version"
)

var testFlags = append(append([]Flag{}, commonFlags...),
	Flag{Name: "environment", Env: "KILN_ENVIRONMENT", Default: "dev", Help: "the environment"},
	Flag{Name: "label", Help: "a flag without a variable or a default"},
	DryRun,
)

func TestParseFlagsPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		flag    string
		want    string
		wantSet bool
	}{
		{"default", nil, nil, "environment", "dev", false},
		{"variable over default", nil, map[string]string{"KILN_ENVIRONMENT": "prod"}, "environment", "prod", true},
		{"flag over variable", []string{"--environment", "qa"}, map[string]string{"KILN_ENVIRONMENT": "prod"}, "environment", "qa", true},
		{"flag with =", []string{"--environment=qa"}, nil, "environment", "qa", true},
		{"single dash", []string{"-environment", "qa"}, nil, "environment", "qa", true},
		{"empty variable is unset", nil, map[string]string{"KILN_ENVIRONMENT": ""}, "environment", "dev", false},
		{"no default, no variable", nil, nil, "label", "", false},
		{"flag without variable", []string{"--label", "a b=c"}, nil, "label", "a b=c", true},
		{"common default", nil, nil, "config", "kiln.yaml", false},
		{"common variable", nil, map[string]string{"KILN_CONFIG": "ci/kiln.yaml"}, "config", "ci/kiln.yaml", true},
		{"stop-timeout default", nil, nil, "stop-timeout", "60s", false},
		{"tool without default", nil, nil, "terraform", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mustParse(t, tc.args, tc.env)
			if got := o.Get(tc.flag); got != tc.want {
				t.Errorf("Get(%q) = %q, want %q", tc.flag, got, tc.want)
			}
			if got := o.IsSet(tc.flag); got != tc.wantSet {
				t.Errorf("IsSet(%q) = %v, want %v", tc.flag, got, tc.wantSet)
			}
		})
	}
}

func TestParseFlagsBool(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    bool
		wantSet bool
	}{
		{"off by default", nil, nil, false, false},
		{"flag", []string{"--dry-run"}, nil, true, true},
		{"flag=true", []string{"--dry-run=true"}, nil, true, true},
		{"flag=false over variable", []string{"--dry-run=false"}, map[string]string{"KILN_DRY_RUN": "true"}, false, true},
		{"variable true", nil, map[string]string{"KILN_DRY_RUN": "true"}, true, true},
		{"variable 1", nil, map[string]string{"KILN_DRY_RUN": "1"}, true, true},
		{"variable YES", nil, map[string]string{"KILN_DRY_RUN": "YES"}, true, true},
		{"variable false", nil, map[string]string{"KILN_DRY_RUN": "false"}, false, true},
		{"variable 0", nil, map[string]string{"KILN_DRY_RUN": "0"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mustParse(t, tc.args, tc.env)
			if got := o.Bool("dry-run"); got != tc.want {
				t.Errorf("Bool(dry-run) = %v, want %v", got, tc.want)
			}
			if got := o.IsSet("dry-run"); got != tc.wantSet {
				t.Errorf("IsSet(dry-run) = %v, want %v", got, tc.wantSet)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the message
	}{
		{"unknown flag", []string{"--bogus"}, nil, "unknown flag --bogus (see --help)"},
		{"misspelt flag", []string{"--recrod", "x"}, nil, "unknown flag --recrod (did you mean --record?)"},
		{"unexpected argument", []string{"deploy"}, nil, `unexpected argument "deploy"`},
		{"argument after flags", []string{"--environment", "dev", "extra"}, nil, `unexpected argument "extra"`},
		{"missing value", []string{"--environment"}, nil, "flag needs an argument"},
		{"bool flag typo", []string{"--dry-run=ture"}, nil, `invalid boolean value "ture"`},
		// A typo must not turn a dry run into a real one.
		{"bool variable typo", nil, map[string]string{"KILN_DRY_RUN": "ture"}, `KILN_DRY_RUN="ture": want true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, done, err := parseFlags("kiln-x", fakeStep{}, testFlags, tc.args, getenv(tc.env), &bytes.Buffer{})
			if done || err == nil {
				t.Fatalf("parseFlags = done %v, err %v; want a usage error", done, err)
			}
			if exitcode.Of(err) != exitcode.Usage {
				t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Usage)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	s := fakeStep{flags: []Flag{DryRun, {Name: "environment", Env: "KILN_ENVIRONMENT", Default: "dev", Help: "the environment"}},
		env: []string{"KILN_REGISTRY_PATH  the registry"}}
	for _, arg := range []string{"--help", "-h", "help"} {
		t.Run(arg, func(t *testing.T) {
			// No kiln.yaml: --help must not need one.
			r := run(t, context.Background(), t.TempDir(), nil, s, arg)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			want := []string{"Usage: kiln-x [flags]", "Does x for the tests.", "--help", "--version",
				"KILN_REGISTRY_PATH  the registry", "(default dev)", "(default 60s)"}
			for _, f := range append(append([]Flag{}, commonFlags...), s.flags...) {
				name := "--" + f.Name
				if !f.shownFor("x") {
					// Accepted, but not listed: step x has no use for it.
					if strings.Contains(r.stdout, name+" ") {
						t.Errorf("help lists %s, which step x does not use", name)
					}
					continue
				}
				if !f.Bool {
					name += " VALUE"
				}
				want = append(want, name, f.Help)
				if f.Env != "" {
					want = append(want, "[$"+f.Env+"]")
				}
			}
			// One line points to the exit-code table instead of repeating it.
			for _, c := range exitcode.Table {
				want = append(want, fmt.Sprint(c.Code))
			}
			want = append(want, "docs/troubleshooting.md")
			for _, w := range want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help lacks %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "--dry-run VALUE") {
				t.Error("a boolean flag is shown with a VALUE")
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := run(t, context.Background(), t.TempDir(), nil, fakeStep{}, "--version")
	if want := version.String("kiln-x") + "\n"; r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want 0, %q", r.code, r.stdout, r.stderr, want)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, nil, "kiln-x: error: unknown flag --bogus (see --help)"},
		{"unexpected argument", []string{"now"}, nil, `kiln-x: error: unexpected argument "now" (see --help)`},
		{"bad stop-timeout", []string{"--stop-timeout", "soon"}, nil, `kiln-x: error: --stop-timeout "soon": want a duration such as 60s`},
		{"negative stop-timeout", nil, map[string]string{"KILN_STOP_TIMEOUT": "-5s"}, `kiln-x: error: KILN_STOP_TIMEOUT="-5s": want a duration such as 60s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			s := fakeStep{run: func(context.Context, *Run) error { ran = true; return nil }}
			r := run(t, context.Background(), workdir(t, minimalConfig), tc.env, s, tc.args...)
			if r.code != exitcode.Usage {
				t.Errorf("exit %d, want 2", r.code)
			}
			if got := lines(r.stderr); len(got) != 1 || got[0] != tc.want {
				t.Errorf("stderr %q, want the one line %q", r.stderr, tc.want)
			}
			if ran {
				t.Error("the step ran")
			}
		})
	}
}

func mustParse(t *testing.T, args []string, env map[string]string) Options {
	t.Helper()
	o, done, err := parseFlags("kiln-x", fakeStep{}, testFlags, args, getenv(env), &bytes.Buffer{})
	if err != nil || done {
		t.Fatalf("parseFlags(%q) = done %v, %v", args, done, err)
	}
	return o
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

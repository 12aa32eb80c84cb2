// Package docs keeps the documentation true: docs/cli.md is generated from every binary's
// --help and full description, and `go test ./test/docs -update` rewrites it; the README
// and docs/ link only to files that exist.
package docs

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/bake"
	"github.com/kiln-ci/kiln/internal/steps/check"
	"github.com/kiln-ci/kiln/internal/steps/deploy"
	"github.com/kiln-ci/kiln/internal/steps/destroy"
	"github.com/kiln-ci/kiln/internal/steps/drift"
	"github.com/kiln-ci/kiln/internal/steps/promote"
	"github.com/kiln-ci/kiln/internal/steps/revoke"
	"github.com/kiln-ci/kiln/internal/steps/rollback"
	"github.com/kiln-ci/kiln/internal/steps/rotate"
	"github.com/kiln-ci/kiln/internal/steps/sweep"
	"github.com/kiln-ci/kiln/internal/steps/validate"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md")

// Steps are every binary's step, in pipeline order.
var Steps = []step.Step{validate.Step{}, bake.Step{}, deploy.Step{}, check.Step{}, promote.Step{}, destroy.Step{}, rotate.Step{}, rollback.Step{}, sweep.Step{}, revoke.Step{}, drift.Step{}}

// maxHelpLines is how long --help may be: what fits on a screen.
const maxHelpLines = 32

func help(t *testing.T, s step.Step) string {
	var out bytes.Buffer
	env := step.MapEnv(map[string]string{}, t.TempDir(), &out, &out, time.Now)
	if code := step.Execute(context.Background(), env, s, []string{"--help"}); code != 0 {
		t.Fatalf("kiln-%s --help: exit %d", s.Name(), code)
	}
	return out.String()
}

// cliReference is docs/cli.md: each binary's full description and --help, then the
// variables every binary reads.
func cliReference(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Command-line reference\n\n<!-- Generated from the binaries by `go test ./test/docs -update`: edit the code, not this file. -->\n\n")
	for _, s := range Steps {
		b.WriteString("- [kiln-" + s.Name() + "](#kiln-" + s.Name() + ")\n")
	}
	for _, s := range Steps {
		b.WriteString("\n## kiln-" + s.Name() + "\n\n")
		if d, ok := s.(interface{ Details() string }); ok {
			b.WriteString(d.Details() + "\n\n")
		}
		b.WriteString("```text\n" + help(t, s) + "```\n")
		var more []string
		for _, f := range s.Flags() {
			if f.More {
				more = append(more, f.Line())
			}
		}
		if len(more) > 0 {
			b.WriteString("\nMore flags:\n\n```text\n" + strings.Join(more, "\n") + "\n```\n")
		}
		if d, ok := s.(interface{ DocEnvVars() []string }); ok {
			b.WriteString("\nEvery variable it reads:\n\n")
			for _, e := range d.DocEnvVars() {
				b.WriteString("- `" + strings.Join(strings.Fields(e), " ") + "`\n")
			}
		}
	}
	b.WriteString("\n## Environment\n\nEvery binary reads these, besides its flags' variables:\n\n")
	for _, e := range step.CommonEnv {
		b.WriteString("- `" + strings.Join(strings.Fields(e), " ") + "`\n")
	}
	b.WriteString("\nThe steps that open the image registry (deploy-dev, promote, rollback, rotate, sweep, revoke, drift) read:\n\n")
	for _, e := range open.EnvVars {
		b.WriteString("- `" + strings.Join(strings.Fields(e), " ") + "`\n")
	}
	return b.String()
}

func TestCLIReference(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "cli.md")
	want := cliReference(t)
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("docs/cli.md is stale; run go test ./test/docs -update")
	}
}

// TestHelpFits: --help fits on a screen, lists at least one example, and points to the
// exit-code table instead of repeating it.
func TestHelpFits(t *testing.T) {
	for _, s := range Steps {
		h := help(t, s)
		if n := strings.Count(h, "\n"); n > maxHelpLines {
			t.Errorf("kiln-%s --help has %d lines, want at most %d", s.Name(), n, maxHelpLines)
		}
		if !strings.Contains(h, "\nExamples:\n") {
			t.Errorf("kiln-%s --help has no examples", s.Name())
		}
		if !strings.Contains(h, "docs/troubleshooting.md") {
			t.Errorf("kiln-%s --help does not point to the exit codes", s.Name())
		}
	}
}

// TestLinks: every relative link of the README, CONTRIBUTING.md and docs/ names a file that
// exists.
func TestLinks(t *testing.T) {
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CONTRIBUTING.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	code := regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(code.ReplaceAllString(string(b), ""), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}

// Package docs keeps the README true: every binary's --help text stands in README.md
// between <!-- help:kiln-NAME --> markers. `go test ./test/docs -update` rewrites them.
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

var update = flag.Bool("update", false, "rewrite the help sections of README.md")

// Steps are every binary's step, in pipeline order.
var Steps = []step.Step{validate.Step{}, bake.Step{}, deploy.Step{}, check.Step{}, promote.Step{}, destroy.Step{}, rotate.Step{}, rollback.Step{}, sweep.Step{}, revoke.Step{}, drift.Step{}}

func help(t *testing.T, s step.Step) string {
	var out bytes.Buffer
	env := step.MapEnv(map[string]string{}, t.TempDir(), &out, &out, time.Now)
	if code := step.Execute(context.Background(), env, s, []string{"--help"}); code != 0 {
		t.Fatalf("kiln-%s --help: exit %d", s.Name(), code)
	}
	return out.String()
}

func TestREADMEHelp(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, s := range Steps {
		name := "kiln-" + s.Name()
		re := regexp.MustCompile(`(?s)(<!-- help:` + name + ` -->\n` + "```text\n" + `)(.*?)(` + "```\n" + `<!-- /help -->)`)
		m := re.FindStringSubmatch(readme)
		if m == nil {
			t.Errorf("README.md has no help section for %s", name)
			continue
		}
		want := help(t, s)
		if *update {
			readme = strings.Replace(readme, m[0], m[1]+want+m[3], 1)
			continue
		}
		if m[2] != want {
			t.Errorf("README.md's help for %s is stale; run go test ./test/docs -update", name)
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// FuzzParse checks that Parse never panics and that every error it returns is a one-line
// *Error with exit code 2.
func FuzzParse(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full), base, vaultBase + "    - {env: A, path: kv/a, field: f, steps: [bake]}\n",
		"", "---\n", "- a\n", "a: &x [*x]\n", "a: *y\n", "version: 2\n", "{", "\t",
		base + "    <<: [{a: 1}, *x]\n", base + "    vars: &v {a: *v}\n",
		immutableCheck + factsURL + "        services_off: [cron, getty@tty1.service]\n      environments: [dev, prod]\n",
		immutableCheck + conn + "        read_only_root: false\n        services_off: []\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "kiln.yaml", "/repo")
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %q (%T) is not a *config.Error", err, err)
		}
		if exitcode.Of(err) != exitcode.Usage {
			t.Fatalf("error %q has exit code %d", err, exitcode.Of(err))
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q spans lines", err)
		}
	})
}

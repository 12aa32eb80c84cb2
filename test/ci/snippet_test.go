package ci

import (
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// snippet returns the code block between <!-- snippet:NAME --> and <!-- /snippet --> in the
// project's README.md, pipelines/README.md or docs/: the very text users copy is what the
// tests run.
func snippet(t testing.TB, name string) string {
	t.Helper()
	return testkit.Snippet(t, repoRoot, name)
}

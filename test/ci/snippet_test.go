package ci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snippet returns the code block between <!-- snippet:NAME --> and <!-- /snippet --> in the
// project's README.md, or in pipelines/README.md when README.md has none: the very text users
// copy is what the tests run.
func snippet(t testing.TB, name string) string {
	t.Helper()
	start, end := "<!-- snippet:"+name+" -->", "<!-- /snippet -->"
	for _, file := range []string{"README.md", filepath.Join("pipelines", "README.md")} {
		b, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			continue
		}
		_, rest, ok := strings.Cut(string(b), start)
		if !ok {
			continue
		}
		block, _, ok := strings.Cut(rest, end)
		if !ok {
			t.Fatalf("%s: %s has no %s", file, start, end)
		}
		block = strings.TrimSpace(block)
		nl := strings.Index(block, "\n")
		if !strings.HasPrefix(block, "```") || nl < 0 || !strings.HasSuffix(block, "```") {
			t.Fatalf("%s: snippet %s is not one fenced code block", file, name)
		}
		return strings.TrimSuffix(block[nl+1:], "```")
	}
	t.Fatalf("no snippet %q in README.md or pipelines/README.md", name)
	return ""
}

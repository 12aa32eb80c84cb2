package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snippetFiles are where documented snippets live, searched in this order.
var snippetFiles = []string{"README.md", filepath.Join("pipelines", "README.md"), "docs/*.md"}

// Snippet returns the fenced code block between <!-- snippet:NAME --> and <!-- /snippet -->
// in the README, pipelines/README.md or docs/, so that what the documentation shows is what
// the tests run. It fails the test when the snippet is missing or not one code block.
func Snippet(t testing.TB, repoRoot, name string) string {
	t.Helper()
	start, end := "<!-- snippet:"+name+" -->", "<!-- /snippet -->"
	for _, pattern := range snippetFiles {
		files, _ := filepath.Glob(filepath.Join(repoRoot, pattern))
		for _, file := range files {
			b, err := os.ReadFile(file)
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
	}
	t.Fatalf("no snippet %q in README.md, pipelines/README.md or docs/", name)
	return ""
}

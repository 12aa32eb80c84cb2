package ci

import (
	"path/filepath"
	"testing"
)

// TestActionlint checks the self-test workflow (and through its `uses: ./`, action.yml), the
// reusable workflow, and the README's GitHub snippet with actionlint.
func TestActionlint(t *testing.T) {
	actionlint := tool(t, "actionlint", "KILN_ACTIONLINT")
	caller := filepath.Join(t.TempDir(), ".github", "workflows", "kiln.yml")
	writeFile(t, caller, snippet(t, "github"))
	for _, wf := range []string{
		filepath.Join(repoRoot, ".github", "workflows", "self-test.yml"),
		filepath.Join(repoRoot, ".github", "workflows", "immutable-vm.yml"),
		caller,
	} {
		if out, code := run(t, filepath.Dir(wf), nil, actionlint, "-no-color", wf); code != 0 {
			t.Errorf("actionlint %s: exit %d\n%s", wf, code, out)
		}
	}
}

// TestReusableWorkflowCopy: GitHub calls reusable workflows only from .github/workflows, so
// pipelines/github's workflow is kept there byte for byte.
func TestReusableWorkflowCopy(t *testing.T) {
	src := readFile(t, filepath.Join(repoRoot, "pipelines", "github", "immutable-vm.yml"))
	if readFile(t, filepath.Join(repoRoot, ".github", "workflows", "immutable-vm.yml")) != src {
		t.Fatal(".github/workflows/immutable-vm.yml differs from pipelines/github/immutable-vm.yml: copy it")
	}
}

package ci

import (
	"path/filepath"
	"regexp"
	"testing"
)

// TestRootPipeline: kiln's own .gitlab-ci.yml, which includes the immutable-vm component
// with include:local and overrides some of its jobs, is a valid pipeline with the project's
// jobs and the component's master-branch jobs (promotion is off for kiln itself).
func TestRootPipeline(t *testing.T) {
	g := newGitLab(t)
	writeFile(t, filepath.Join(g.f.repo, ".gitlab-ci.yml"), readFile(t, filepath.Join(repoRoot, ".gitlab-ci.yml")))
	copyDir(t, filepath.Join(repoRoot, "test", "ci", "testdata"), filepath.Join(g.f.repo, "test", "ci", "testdata"))
	g.f.commit(t, "kiln's own pipeline")
	out := must(t, g.f.repo, g.env, g.exe, "--list", "--no-color")
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([\w-]+)\s`).FindAllStringSubmatch(out, -1) {
		listed[m[1]] = true
	}
	for _, job := range []string{"lint", "unit", "integration", "build", "validate", "bake", "deploy-dev", "test", "destroy-dev"} {
		if !listed[job] {
			t.Errorf("job %s missing from the pipeline:\n%s", job, out)
		}
	}
	for _, job := range []string{"promote", "plan-prod"} {
		if listed[job] {
			t.Errorf("job %s should not run in kiln's own pipeline:\n%s", job, out)
		}
	}
}

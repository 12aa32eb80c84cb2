package ci

import (
	"path/filepath"
	"testing"
)

// stepsPipeline includes the single-step components with their default inputs, the way a
// pipeline of its own shape would.
const stepsPipeline = `stages: [validate, bake, deploy, test, cleanup, promote]
include:
  - local: /pipelines/gitlab/templates/validate.yml
  - local: /pipelines/gitlab/templates/bake.yml
  - local: /pipelines/gitlab/templates/deploy-dev.yml
  - local: /pipelines/gitlab/templates/test.yml
  - local: /pipelines/gitlab/templates/destroy-dev.yml
  - local: /pipelines/gitlab/templates/promote.yml
    inputs:
      rules: [{if: $CI_COMMIT_BRANCH == "stable"}]
`

// TestGitLabStepComponents runs the six single-step components together: the same flow as
// immutable-vm, the baked image reaching dev and, on stable, prod.
func TestGitLabStepComponents(t *testing.T) {
	g := newGitLab(t)
	writeFile(t, filepath.Join(g.f.repo, ".gitlab-ci.yml"), stepsPipeline)
	g.f.commit(t, "single-step components")

	log, code := g.run(t)
	if code != 0 {
		t.Fatalf("master pipeline: exit %d\n%s", code, log)
	}
	wantJobs(t, log, map[string]string{"validate": "PASS", "bake": "PASS", "deploy-dev": "PASS", "test": "PASS", "destroy-dev": "PASS"})
	id := g.dotenvReport(t, "test")["KILN_IMAGE_ID"]
	if images := g.f.images(t); len(images) != 1 || images[0] != id {
		t.Fatalf("registry %v, tested image %q", images, id)
	}

	// The single-step components carry no branch rules: run the promote job alone.
	log, code = g.run(t, "CI_COMMIT_BRANCH=stable", "KILN_RECORD="+g.handOff(t, "stable"), "+promote")
	if code != 0 {
		t.Fatalf("stable pipeline: exit %d\n%s", code, log)
	}
	wantJobs(t, log, map[string]string{"promote": "PASS"})
	if got := g.f.resources(t, "prod")["terraform_data.vm"]; got != id {
		t.Fatalf("prod state holds %q, want %q", got, id)
	}
}

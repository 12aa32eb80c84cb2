package ci

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
)

// componentFile is where the GitLab snippet's include points, in kiln's repository.
const componentFile = "/pipelines/gitlab/templates/immutable-vm.yml"

// gitlabCI turns the README's GitLab snippet into the .gitlab-ci.yml of a project that holds
// the component itself: its include of kiln's project becomes include:local of the same file,
// with the same inputs.
func gitlabCI(t testing.TB) string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(snippet(t, "gitlab")), &doc); err != nil {
		t.Fatalf("gitlab snippet: %v", err)
	}
	includes, _ := doc["include"].([]any)
	found := false
	for _, inc := range includes {
		m, ok := inc.(map[string]any)
		if !ok || m["file"] != componentFile {
			continue
		}
		delete(m, "project")
		delete(m, "ref")
		delete(m, "file")
		m["local"] = componentFile
		found = true
	}
	if !found {
		t.Fatalf("gitlab snippet includes no %s", componentFile)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gitlab is a gitlab-ci-local runner for a fixture.
type gitlab struct {
	f   *fixture
	exe string
	env map[string]string
}

func newGitLab(t *testing.T) *gitlab {
	node := tool(t, "node", "")
	tool(t, "rsync", "")
	g := &gitlab{f: newFixture(t), exe: tool(t, "gitlab-ci-local", "KILN_GITLAB_CI_LOCAL")}
	g.env = g.f.env(t)
	g.env["PATH"] = filepath.Dir(node) + ":" + g.env["PATH"]
	copyDir(t, filepath.Join(repoRoot, "pipelines", "gitlab"), filepath.Join(g.f.repo, "pipelines", "gitlab"))
	writeFile(t, filepath.Join(g.f.repo, ".gitlab-ci.yml"), gitlabCI(t))
	g.f.commit(t, "kiln fixture")
	return g
}

// run runs the pipeline gitlab-ci-local sees for the repository (shell executor, each job in
// its own copy of the work tree, artifacts and dotenv reports passed as GitLab passes them),
// with CI variables ("NAME=value"; "-NAME" unsets one; "+job" runs only that job); it returns
// the log and the exit code.
func (g *gitlab) run(t testing.TB, vars ...string) (string, int) {
	t.Helper()
	argv := []string{g.exe, "--force-shell-executor", "--shell-isolation", "--no-color",
		"--max-job-name-padding", "0",
		"--variable", "KILN_BIN_DIR=" + binDir,
		"--variable", "KILN_REGISTRY_PATH=" + g.f.registry,
		"--variable", "KILN_TERRAFORM=" + g.env["KILN_TERRAFORM"],
		"--variable", "KILN_PACKER=" + g.env["KILN_PACKER"],
		"--variable", "KILN_TOOLS_OFFLINE=1"}
	for _, v := range vars {
		if job, ok := strings.CutPrefix(v, "+"); ok {
			argv = append(argv, job)
		} else if name, ok := strings.CutPrefix(v, "-"); ok {
			argv = append(argv, "--unset-variable", name)
		} else {
			argv = append(argv, "--variable", v)
		}
	}
	out, code := run(t, g.f.repo, g.env, argv...)
	t.Logf("gitlab-ci-local %v: exit %d", vars, code)
	return out, code
}

// artifact is the path of a file a job of the last run left in its artifacts.
func (g *gitlab) artifact(job, file string) string {
	return filepath.Join(g.f.repo, ".gitlab-ci-local", "artifacts", job, file)
}

// dotenvReport is the dotenv report a job of the last run published.
func (g *gitlab) dotenvReport(t testing.TB, job string) map[string]string {
	return dotenv(t, g.artifact(job, filepath.Join(".gitlab-ci-reports", "dotenv", "kiln.env")))
}

// jobs returns the result gitlab-ci-local reported for each job that ran: PASS, FAIL, WARN.
func jobs(log string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(PASS|FAIL|WARN)\s+([\w-]+)\s*$`).FindAllStringSubmatch(log, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func wantJobs(t testing.TB, log string, want map[string]string) {
	t.Helper()
	got := jobs(log)
	if len(got) != len(want) {
		t.Fatalf("jobs %v, want %v\n%s", got, want, log)
	}
	for job, res := range want {
		if got[job] != res {
			t.Fatalf("job %s: %q, want %s (jobs %v)\n%s", job, got[job], res, got, log)
		}
	}
}

// handOff copies the record the master pipeline's test job published to a place outside
// the work tree and returns its path. It stands in for the GitLab API lookup kiln-promote
// makes in a real stable or merge request pipeline (the test job's artifacts of the merge
// request's master pipeline): those pipelines run no job that makes a record.
func (g *gitlab) handOff(t testing.TB, name string) string {
	dst := filepath.Join(g.f.root, name, "kiln-image.json")
	writeFile(t, dst, readFile(t, g.artifact("test", "kiln-image.json")))
	return dst
}

// TestGitLabComponent runs the README's GitLab snippet, the immutable-vm component through
// include:local, on the fast fixture: a master pipeline (the image id from bake reaches
// deploy-dev and test through the dotenv report), the merge request's prod plan, the stable
// pipeline's promotion of that image, and a master pipeline whose test fails and whose dev
// environment is destroyed all the same.
func TestGitLabComponent(t *testing.T) {
	g := newGitLab(t)

	log, code := g.run(t)
	if code != 0 {
		t.Fatalf("master pipeline: exit %d\n%s", code, log)
	}
	wantJobs(t, log, map[string]string{"validate": "PASS", "bake": "PASS", "deploy-dev": "PASS", "test": "PASS", "destroy-dev": "PASS"})
	images := g.f.images(t)
	if len(images) != 1 {
		t.Fatalf("registry holds %v, want the one baked image", images)
	}
	id := images[0]
	if got := g.dotenvReport(t, "bake")["KILN_IMAGE_ID"]; got != id {
		t.Fatalf("bake's dotenv report: KILN_IMAGE_ID=%q, want %q", got, id)
	}
	// deploy-dev and test received it as a variable from the dotenv report.
	for _, line := range []string{"kiln: deploying image " + id, "kiln: testing image " + id} {
		if !strings.Contains(log, line) {
			t.Fatalf("log lacks %q\n%s", line, log)
		}
	}
	if got := g.dotenvReport(t, "deploy-dev")["KILN_OUTPUT_DEV_IMAGE_ID"]; got != id {
		t.Fatalf("dev's Terraform output image_id %q, want %q", got, id)
	}
	tested := g.dotenvReport(t, "test")
	if tested["KILN_IMAGE_ID"] != id || tested["KILN_TEST_STATUS"] != "passed" {
		t.Fatalf("test's dotenv report: %v", tested)
	}
	if junit := readFile(t, g.artifact("test", "kiln-junit.xml")); !strings.Contains(junit, `failures="0"`) {
		t.Fatalf("junit report:\n%s", junit)
	}
	if left := g.f.resources(t, "dev"); len(left) != 0 {
		t.Fatalf("dev state after destroy-dev: %v", left)
	}

	t.Run("merge request plans prod", func(t *testing.T) {
		log, code := g.run(t, "CI_PIPELINE_SOURCE=merge_request_event", "-CI_COMMIT_BRANCH",
			"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=master", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=stable",
			"KILN_RECORD="+g.handOff(t, "mr"))
		if code != 0 {
			t.Fatalf("merge request pipeline: exit %d\n%s", code, log)
		}
		wantJobs(t, log, map[string]string{"plan-prod": "PASS"})
		if !strings.Contains(log, "prod would change") {
			t.Fatalf("plan-prod did not plan a change of prod\n%s", log)
		}
		if g.f.resources(t, "prod") != nil {
			t.Fatal("plan-prod changed prod's state")
		}
		if !supportsPlanReport(t) {
			t.Skip("kiln-promote has no --plan-report yet: the Terraform report is not written")
		}
		if report := readFile(t, g.artifact("plan-prod", "kiln-plan.json")); !strings.Contains(report, `"create":1`) {
			t.Fatalf("terraform report: %s", report)
		}
	})

	t.Run("stable promotes the tested image", func(t *testing.T) {
		log, code := g.run(t, "CI_COMMIT_BRANCH=stable", "KILN_RECORD="+g.handOff(t, "stable"))
		if code != 0 {
			t.Fatalf("stable pipeline: exit %d\n%s", code, log)
		}
		wantJobs(t, log, map[string]string{"promote": "PASS"})
		if got := g.f.resources(t, "prod")["terraform_data.vm"]; got != id {
			t.Fatalf("prod state holds image %q, want the baked %q", got, id)
		}
		if got := g.dotenvReport(t, "promote")["KILN_IMAGE_ID"]; got != id {
			t.Fatalf("promote's dotenv report: KILN_IMAGE_ID=%q, want %q", got, id)
		}
		if n := len(g.f.images(t)); n != 1 {
			t.Fatalf("the stable pipeline baked again: %d images", n)
		}
	})

	t.Run("a scheduled pipeline only checks drift", func(t *testing.T) {
		fake := gitlabtest.New(t)
		log, code := g.run(t, "CI_PIPELINE_SOURCE=schedule", "CI_API_V4_URL="+fake.URL, "CI_PROJECT_ID=42", "KILN_GITLAB_TOKEN="+fake.Token)
		if code != 0 {
			t.Fatalf("scheduled pipeline: exit %d\n%s", code, log)
		}
		wantJobs(t, log, map[string]string{"drift": "PASS"})
		if !strings.Contains(log, "prod: in sync") || len(fake.Issues()) != 0 {
			t.Fatalf("in sync: issues %+v\n%s", fake.Issues(), log)
		}
		if _, err := os.Stat(g.artifact("drift", "kiln-drift.json")); err != nil {
			t.Errorf("the drift report is not an artifact: %v", err)
		}
	})

	t.Run("destroy-dev runs after a failed test", func(t *testing.T) {
		g.f.devOK.Store(false)
		defer g.f.devOK.Store(true)
		log, code := g.run(t)
		if code == 0 {
			t.Fatalf("a pipeline whose test failed exited 0\n%s", log)
		}
		wantJobs(t, log, map[string]string{"validate": "PASS", "bake": "PASS", "deploy-dev": "PASS", "test": "FAIL", "destroy-dev": "PASS"})
		if left := g.f.resources(t, "dev"); len(left) != 0 {
			t.Fatalf("dev state after the failed pipeline: %v", left)
		}
		if junit := readFile(t, g.artifact("test", "kiln-junit.xml")); !strings.Contains(junit, "<failure") {
			t.Fatalf("junit report of the failed test:\n%s", junit)
		}
	})
}

// supportsPlanReport reports whether kiln-promote can write the Terraform report.
func supportsPlanReport(t testing.TB) bool {
	out, _ := run(t, os.TempDir(), nil, filepath.Join(binDir, "kiln-promote"), "--help")
	return strings.Contains(out, "--plan-report")
}

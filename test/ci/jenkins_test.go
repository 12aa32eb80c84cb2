package ci

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest/attesttest"
)

var shStep = regexp.MustCompile(`\bsh\s+'([^']*)'`)

// stageCommands returns a Jenkinsfile's single-quoted sh commands in file order: the stages,
// then post's destroy-dev.
func stageCommands(jenkinsfile string) []string {
	var out []string
	for _, m := range shStep.FindAllStringSubmatch(jenkinsfile, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestJenkinsStages runs the stage commands of pipelines/jenkins/Jenkinsfile and of the
// README's Jenkins snippet, in their order, on the fast fixture, as Jenkins would run them in
// one workspace: the image bake made is the one prod gets, and dev is destroyed.
func TestJenkinsStages(t *testing.T) {
	want := []string{"setup", "validate", "bake", "deploy-dev", "test", "promote", "destroy-dev"}
	for name, text := range map[string]string{
		"Jenkinsfile": readFile(t, filepath.Join(repoRoot, "pipelines", "jenkins", "Jenkinsfile")),
		"snippet":     snippet(t, "jenkins"),
	} {
		t.Run(name, func(t *testing.T) {
			cmds := stageCommands(text)
			var stages []string
			for _, c := range cmds {
				stages = append(stages, strings.TrimSuffix(strings.TrimPrefix(c, "scripts/ci/"), ".sh"))
			}
			if strings.Join(stages, " ") != strings.Join(want, " ") {
				t.Fatalf("sh steps %q, want scripts/ci/{%s}.sh in this order", cmds, strings.Join(want, ","))
			}
			f := newFixture(t)
			copyDir(t, filepath.Join(repoRoot, "scripts", "ci"), filepath.Join(f.repo, "scripts", "ci"))
			commit := f.commit(t, "kiln fixture")
			env := f.env(t)
			env["KILN_BIN_DIR"] = binDir
			env["JENKINS_URL"] = "http://127.0.0.1:9/"
			env["BRANCH_NAME"] = "master"
			env["GIT_COMMIT"] = commit
			for _, c := range cmds {
				out := must(t, f.repo, env, "bash", "-c", c)
				t.Logf("%s:\n%s", c, out)
			}
			id := dotenv(t, filepath.Join(f.repo, "kiln.env"))["KILN_IMAGE_ID"]
			if images := f.images(t); len(images) != 1 || images[0] != id {
				t.Fatalf("registry %v, kiln.env's image %q", images, id)
			}
			if got := f.resources(t, "prod")["terraform_data.vm"]; got != id {
				t.Fatalf("prod state holds %q, want the baked %q", got, id)
			}
			if left := f.resources(t, "dev"); len(left) != 0 {
				t.Fatalf("dev state after destroy-dev: %v", left)
			}

			// A record of another commit than the one merged is refused.
			env["GIT_COMMIT"] = f.commit(t, "a later commit")
			if out, code := run(t, f.repo, env, "bash", "-c", "scripts/ci/promote.sh"); code != 8 || !strings.Contains(out, "promotion refused: the record was baked from") {
				t.Fatalf("promote.sh of a stale record: exit %d\n%s", code, out)
			}
		})
	}
}

// TestJenkinsStablePromotion runs the Jenkinsfile's master stages with an attest block (the
// test stage signing with the KILN_ATTEST_KEY file credential), then a stable build of the
// merge commit: promote.sh promotes the record master tested, verifying its attestation. A
// stable build whose kiln.yaml has no attest block, or whose record was re-signed with
// another key, is refused and prod keeps its image.
func TestJenkinsStablePromotion(t *testing.T) {
	cmds := stageCommands(readFile(t, filepath.Join(repoRoot, "pipelines", "jenkins", "Jenkinsfile")))
	f := newFixture(t)
	priv, pub := attesttest.KeyPair(t, t.TempDir())
	cfg := readFile(t, filepath.Join(f.repo, "kiln.yaml"))
	writeFile(t, filepath.Join(f.repo, "kiln.yaml"), cfg+"attest:\n  public_key: "+pub+"\n")
	copyDir(t, filepath.Join(repoRoot, "scripts", "ci"), filepath.Join(f.repo, "scripts", "ci"))
	env := f.env(t)
	env["KILN_BIN_DIR"] = binDir
	env["JENKINS_URL"] = "http://127.0.0.1:9/"
	env["BRANCH_NAME"] = "master"
	base := f.commit(t, "kiln fixture")
	master := f.commit(t, "a change on master")
	env["GIT_COMMIT"] = master
	for _, c := range cmds {
		if c != "scripts/ci/promote.sh" && c != "scripts/ci/destroy-dev.sh" {
			env["KILN_ATTEST_KEY"] = priv // the test stage's file credential
			must(t, f.repo, env, "bash", "-c", c)
		}
	}
	tested := readFile(t, filepath.Join(f.repo, "kiln-image.json"))
	id := dotenv(t, filepath.Join(f.repo, "kiln.env"))["KILN_IMAGE_ID"]

	// The stable build: a merge commit whose second parent is the tested master commit.
	stable := f.env(t)
	must(t, f.repo, stable, "git", "checkout", "-q", "-b", "stable", base)
	must(t, f.repo, stable, "git", "merge", "-q", "--no-ff", "-m", "release", "master")
	merge := strings.TrimSpace(must(t, f.repo, stable, "git", "rev-parse", "HEAD"))
	env["BRANCH_NAME"], env["GIT_COMMIT"] = "stable", merge
	delete(env, "KILN_ATTEST_KEY") // the stable build holds no signing key

	// Without an attest block a bare file is not enough on stable.
	writeFile(t, filepath.Join(f.repo, "kiln.yaml"), cfg)
	if out, code := run(t, f.repo, env, "bash", "-c", "scripts/ci/promote.sh"); code != 8 || !strings.Contains(out, "a bare file anyone could write is not enough") {
		t.Fatalf("promote.sh on stable without attest: exit %d\n%s", code, out)
	}
	writeFile(t, filepath.Join(f.repo, "kiln.yaml"), cfg+"attest:\n  public_key: "+pub+"\n")
	// A record signed by another key is refused.
	other, _ := attesttest.KeyPair(t, t.TempDir())
	masterEnv := map[string]string{}
	for k, v := range env {
		masterEnv[k] = v
	}
	masterEnv["BRANCH_NAME"], masterEnv["GIT_COMMIT"], masterEnv["KILN_ATTEST_KEY"] = "master", master, other
	if out, code := run(t, f.repo, masterEnv, "bash", "-c", "scripts/ci/test.sh"); code != 0 {
		t.Fatalf("re-signing test: exit %d\n%s", code, out)
	}
	if out, code := run(t, f.repo, env, "bash", "-c", "scripts/ci/promote.sh"); code != 8 || !strings.Contains(out, "does not verify") {
		t.Fatalf("promote.sh of a record signed by another key: exit %d\n%s", code, out)
	}
	if got := f.resources(t, "prod"); len(got) != 0 {
		t.Fatalf("prod after refusals: %v", got)
	}

	writeFile(t, filepath.Join(f.repo, "kiln-image.json"), tested)
	out := must(t, f.repo, env, "bash", "-c", "scripts/ci/promote.sh")
	t.Logf("promote.sh on stable:\n%s", out)
	if got := f.resources(t, "prod")["terraform_data.vm"]; got != id {
		t.Fatalf("prod state holds %q, want the tested %q", got, id)
	}
	must(t, f.repo, env, "bash", "-c", "scripts/ci/destroy-dev.sh")
}

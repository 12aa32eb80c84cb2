package ci

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/testkit"
)

// TestQuickStart runs the README's quick start as it stands: its kiln.yaml, Packer template,
// Terraform configuration and .gitignore in a new git repository, through validate, bake,
// deploy-dev, test and destroy-dev. Only the check's address comes from the test (a health
// service on a free port, through TF_VAR_address), since nothing of the quick start runs a
// server. Afterwards git sees nothing new: the .gitignore covers everything kiln wrote.
func TestQuickStart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "kiln.yaml"), testkit.Snippet(t, repoRoot, "quickstart-kiln-yaml"))
	writeFile(t, filepath.Join(dir, "packer", "image.pkr.hcl"), testkit.Snippet(t, repoRoot, "quickstart-packer"))
	writeFile(t, filepath.Join(dir, "terraform", "main.tf"), testkit.Snippet(t, repoRoot, "quickstart-terraform"))
	writeFile(t, filepath.Join(dir, ".gitignore"), testkit.Snippet(t, repoRoot, "quickstart-gitignore")+".home/\n")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q", "-b", "master")
	git("add", ".")
	git("commit", "-q", "-m", "quick start")
	sha := strings.TrimSpace(git("rev-parse", "HEAD"))

	var ok atomic.Bool
	ok.Store(true)
	env := map[string]string{"TF_VAR_address": "127.0.0.1:" + port(t, service(t, &ok)), "KILN_SOURCE_SHA": sha}
	for _, s := range []string{"validate", "bake", "deploy-dev", "test", "destroy-dev"} {
		r := must(t, dir, s, env)
		if !strings.Contains(r.stderr, "kiln-"+s+": finished in ") {
			t.Errorf("kiln-%s does not end with how long it took: %s", s, r)
		}
	}
	rec, err := record.Read(filepath.Join(dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Tests == nil || rec.Tests.Status != record.StatusPassed || rec.Tests.ImageID != rec.Image.ID {
		t.Fatalf("the record's tests: %+v, want passed for %s", rec.Tests, rec.Image.ID)
	}
	if !strings.HasPrefix(rec.Image.Name, "hello-") || rec.Source.Commit != sha {
		t.Errorf("image %s from %s, want hello-... from %s", rec.Image.Name, rec.Source.Commit, sha)
	}
	if left := strings.TrimSpace(git("status", "--porcelain", "--untracked-files=all")); left != "" {
		t.Errorf("the quick start's .gitignore misses what kiln wrote:\n%s", left)
	}
}

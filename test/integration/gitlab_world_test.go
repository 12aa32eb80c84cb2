package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
)

// testedWorld is a world whose image was baked on master (from sourceSHA), deployed to
// dev and tested: kiln-image.json is what the master pipeline's test job leaves.
func testedWorld(t *testing.T) *world {
	t.Helper()
	w := bakeAndDeploy(t)
	must(t, w.dir, "test", nil)
	return w
}

// stableMerge sets up a fake GitLab where merge request !1 (master -> stable, head
// sourceSHA) was merged as mr says, the master pipeline #1001 of its head succeeded, and
// its test job #1002 holds rec as kiln-image.json ("-" for no artifact).
func stableMerge(t *testing.T, mr gitlabtest.MergeRequest, rec string) (*gitlabtest.Fake, int64) {
	t.Helper()
	f := gitlabtest.New(t)
	mr.Title, mr.State, mr.SourceBranch, mr.TargetBranch = "Release to stable", "merged", "master", "stable"
	mr.SHA, mr.Commits = sourceSHA, []string{sourceSHA}
	iid := f.AddMergeRequest(mr)
	p := f.AddPipeline(sourceSHA, "master", "success")
	job := f.AddJob(p, "test", "success", false)
	if rec != "-" {
		f.SetArtifact(job, "kiln-image.json", []byte(rec))
	}
	return f, iid
}

// gitlabEnv is the environment of a promote job in a stable branch pipeline for commit,
// talking to f with its access token; extra overrides it ("" unsets a variable).
func gitlabEnv(f *gitlabtest.Fake, commit string, extra map[string]string) map[string]string {
	env := map[string]string{
		"GITLAB_CI":          "true",
		"CI_API_V4_URL":      f.URL,
		"CI_PROJECT_ID":      "42",
		"CI_PROJECT_URL":     f.WebURL,
		"CI_COMMIT_SHA":      commit,
		"CI_COMMIT_BRANCH":   "stable",
		"CI_COMMIT_REF_NAME": "stable",
		"CI_PIPELINE_URL":    f.WebURL + "/-/pipelines/2001",
		"CI_JOB_URL":         f.WebURL + "/-/jobs/2002",
		"CI_JOB_TOKEN":       f.JobToken,
		"KILN_GITLAB_TOKEN":  f.Token,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// freshWorkspace removes what an earlier job left in the working directory (the record
// and kiln.env); the registry and Terraform's state stay, as a shared registry and a
// shared state backend would.
func freshWorkspace(t *testing.T, w *world) {
	t.Helper()
	for _, name := range []string{"kiln-image.json", "kiln.env"} {
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// addEnvironments adds environments like prod (same Terraform, same port) to kiln.yaml.
func addEnvironments(t *testing.T, w *world, names ...string) {
	t.Helper()
	i := strings.Index(w.template, "  prod:\n")
	j := strings.Index(w.template, "test:\n")
	if i < 0 || j < i {
		t.Fatalf("kiln.yaml has no prod environment before test:\n%s", w.template)
	}
	prod := w.template[i:j]
	var extra strings.Builder
	for _, n := range names {
		extra.WriteString(strings.Replace(prod, "  prod:\n", "  "+n+":\n", 1))
	}
	w.template = w.template[:j] + extra.String() + w.template[j:]
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), w.template)
}

// imageOf returns the image id of a record.
func imageOf(t *testing.T, rec string) string {
	t.Helper()
	r, err := record.Decode([]byte(rec), "record")
	if err != nil {
		t.Fatal(err)
	}
	return r.Image.ID
}

// retarget returns rec as if it had been baked from commit.
func retarget(t *testing.T, rec, commit string) string {
	t.Helper()
	r, err := record.Decode([]byte(rec), "record")
	if err != nil {
		t.Fatal(err)
	}
	r.Source.Commit = commit
	data, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// noToken fails the test if a token of f shows in the run's output.
func noToken(t *testing.T, f *gitlabtest.Fake, r result) {
	t.Helper()
	for _, tok := range []string{f.Token, f.JobToken} {
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Fatalf("the output shows a token: %s", r)
		}
	}
}

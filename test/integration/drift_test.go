package integration

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// driftReport is the part of kiln-drift's --report the tests read.
type driftReport struct {
	Environments []struct {
		Name    string `json:"name"`
		Image   string `json:"image"`
		InSync  bool   `json:"in_sync"`
		Changes []struct {
			Address, Action, Attribute, Before, After string
			Outside                                   bool
		} `json:"changes"`
		ImagesFound []string `json:"images_found"`
		Revoked     []struct {
			ID, By, Reason string
			At             time.Time
		} `json:"revoked"`
		Skipped string `json:"skipped"`
	} `json:"environments"`
}

// promoted runs the pipeline up to kiln-promote and returns the image id.
func promoted(t *testing.T, w *world) string {
	t.Helper()
	for _, s := range []string{"bake", "deploy-dev", "test", "promote"} {
		must(t, w.dir, s, nil)
	}
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rec.Image.ID
}

func readDriftReport(t *testing.T, path string) driftReport {
	t.Helper()
	var rep driftReport
	if err := json.Unmarshal([]byte(readFile(t, path)), &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep
}

func wantLines(t *testing.T, r result, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains("\n"+r.stdout, "\n"+l+"\n") {
			t.Fatalf("stdout lacks the line %q: %s", l, r)
		}
	}
}

// TestDriftInSync: right after a promotion both environments are what kiln deployed (exit
// 0); after kiln-destroy-dev, dev is not checked and prod still is; an unknown
// --environment is a usage error.
func TestDriftInSync(t *testing.T) {
	w := newWorld(t)
	id := promoted(t, w)
	r := must(t, w.dir, "drift", nil, "--report", "drift.json")
	wantLines(t, r, "dev: in sync", "prod: in sync")
	if strings.Contains(r.stdout, "Terraform") || strings.Contains(r.stdout, "Refreshing") {
		t.Fatalf("Terraform's own output reached stdout: %s", r)
	}
	rep := readDriftReport(t, filepath.Join(w.dir, "drift.json"))
	if len(rep.Environments) != 2 || !rep.Environments[0].InSync || !rep.Environments[1].InSync ||
		rep.Environments[1].Image != id || len(rep.Environments[1].ImagesFound) != 1 || rep.Environments[1].ImagesFound[0] != id {
		t.Fatalf("report: %+v", rep)
	}
	must(t, w.dir, "destroy-dev", nil)
	r = must(t, w.dir, "drift", nil)
	wantLines(t, r, "dev: not checked: nothing deployed there (its state is empty)", "prod: in sync")
	wantExit(t, kiln(t, w.dir, "drift", nil, "--environment", "staging"), 2, `--environment "staging"`, `no environment "staging"`)
}

// TestDriftChanges: a dev variable changed in kiln.yaml and prod's state edited behind
// kiln's back: exit 9, one line per resource and attribute, the same in the report.
func TestDriftChanges(t *testing.T) {
	w := newWorld(t)
	id := promoted(t, w)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "port: "+port(t, w.dev), "port: 1", 1))
	statePath := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
	var st map[string]any
	if err := json.Unmarshal([]byte(readFile(t, statePath)), &st); err != nil {
		t.Fatal(err)
	}
	other := "local:sha256:" + strings.Repeat("f", 64)
	attrs := st["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	attrs["input"].(map[string]any)["value"] = other
	attrs["output"].(map[string]any)["value"] = other
	st["serial"] = st["serial"].(float64) + 1
	data, _ := json.MarshalIndent(st, "", "  ")
	writeFile(t, statePath, string(data))

	r := kiln(t, w.dir, "drift", nil, "--report", "drift.json")
	wantExit(t, r, 9, "drift in dev (1 change), prod (3 changes)")
	wantLines(t, r,
		`dev: output.address: update: "127.0.0.1:`+port(t, w.dev)+`" -> "127.0.0.1:1"`,
		`prod: terraform_data.vm: update: input "`+other+`" -> "`+id+`"`,
		`prod: terraform_data.vm: update: output "`+other+`" -> (known after apply)`,
		`prod: output.image_id: update: "`+id+`" -> (known after apply)`,
		"dev: drifted (1 change)", "prod: drifted (3 changes)")
	rep := readDriftReport(t, filepath.Join(w.dir, "drift.json"))
	prod := rep.Environments[1]
	if prod.Name != "prod" || prod.InSync || len(prod.Changes) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	if c := prod.Changes[0]; c.Address != "terraform_data.vm" || c.Action != "update" || c.Attribute != "input" ||
		c.Before != `"`+other+`"` || c.After != `"`+id+`"` || c.Outside {
		t.Fatalf("report's first change of prod: %+v", c)
	}
	if readFile(t, statePath) != string(data) {
		t.Fatal("kiln-drift changed prod's state")
	}
	// One environment only.
	r = kiln(t, w.dir, "drift", nil, "--environment", "dev")
	wantExit(t, r, 9, "drift in dev (1 change)")
	if strings.Contains(r.stdout, "prod") {
		t.Fatalf("--environment dev checked prod: %s", r)
	}
}

// TestDriftOtherImage: the family pointer moved to another image than prod runs: prod is
// reported as running the old image, and the plan's update to the new one is listed.
func TestDriftOtherImage(t *testing.T) {
	w := newWorld(t)
	id := promoted(t, w)
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: time.Now}
	disk := filepath.Join(t.TempDir(), "disk.img")
	writeFile(t, disk, "another image\n")
	img, err := reg.Import([]string{disk}, "demo-web-next", "demo-web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Point(context.Background(), "demo-web", img.ID, "prod", time.Now()); err != nil {
		t.Fatal(err)
	}
	r := kiln(t, w.dir, "drift", nil, "--environment", "prod", "--report", "drift.json")
	wantExit(t, r, 9, "drift in prod (")
	wantLines(t, r, "prod runs "+id+", the family's current image is "+img.ID,
		`prod: terraform_data.vm: update: input "`+id+`" -> "`+img.ID+`"`)
	rep := readDriftReport(t, filepath.Join(w.dir, "drift.json"))
	if len(rep.Environments) != 1 || rep.Environments[0].Image != img.ID || len(rep.Environments[0].ImagesFound) != 1 ||
		rep.Environments[0].ImagesFound[0] != id {
		t.Fatalf("report: %+v", rep)
	}
}

// TestDriftRevoked: the image both environments run is revoked: each is reported, exit 9.
func TestDriftRevoked(t *testing.T) {
	w := newWorld(t)
	id := promoted(t, w)
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: time.Now}
	at := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	if err := reg.Label(context.Background(), id, registry.Revocation{At: at, By: "test", Reason: "cve"}.Labels()); err != nil {
		t.Fatal(err)
	}
	r := kiln(t, w.dir, "drift", nil, "--report", "drift.json")
	wantExit(t, r, 9, "drift in dev (1 change), prod (1 change)")
	revoked := ", revoked " + at.Format(time.RFC3339) + " by test: cve"
	wantLines(t, r, "dev runs "+id+revoked, "prod runs "+id+revoked, "prod: drifted (1 change)")
	if regexp.MustCompile(`(?m)^prod: terraform_data`).MatchString(r.stdout) {
		t.Fatalf("a revoked image alone changes nothing in the plan: %s", r)
	}
	rep := readDriftReport(t, filepath.Join(w.dir, "drift.json"))
	for _, env := range rep.Environments {
		if env.InSync || len(env.Revoked) != 1 || env.Revoked[0].ID != id || !env.Revoked[0].At.Equal(at) ||
			env.Revoked[0].By != "test" || env.Revoked[0].Reason != "cve" || len(env.Changes) != 0 {
			t.Fatalf("report of %s: %+v", env.Name, env)
		}
	}
}

// TestDriftLocked: while another process holds dev's state lock, kiln-drift exits 3 naming
// the lock, after checking the other environments, and its report says what stopped dev.
func TestDriftLocked(t *testing.T) {
	w := bakeAndDeploy(t)
	release := holdLock(t, filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "dev"), "5c2f-drift-lock", "ci-runner-3@build-host")
	defer release()
	r := kiln(t, w.dir, "drift", nil, "--report", "drift.json")
	wantExit(t, r, 3, "5c2f-drift-lock", "ci-runner-3@build-host")
	wantLines(t, r, "prod: not checked: no image kiln deployed there")
	if !strings.Contains(r.stdout, "dev: not checked: ") || !strings.Contains(r.stdout, "5c2f-drift-lock") {
		t.Fatalf("stdout lacks dev's summary: %s", r)
	}
	var rep struct {
		Environments []struct{ Name, Error string } `json:"environments"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(w.dir, "drift.json"))), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Environments) != 2 || !strings.Contains(rep.Environments[0].Error, "5c2f-drift-lock") {
		t.Fatalf("report: %+v", rep)
	}
	release()
	wantLines(t, must(t, w.dir, "drift", nil), "dev: in sync")
}

// TestDriftGitLabIssues: with --gitlab-issues, kiln-drift keeps one issue per drifted
// environment in GitLab (the API fake): none while in sync, opened on drift, left alone
// while the drift is the same, closed once the environment is back in sync.
func TestDriftGitLabIssues(t *testing.T) {
	w := newWorld(t)
	promoted(t, w)
	f := gitlabtest.New(t)
	env := map[string]string{"CI_API_V4_URL": f.URL, "CI_PROJECT_ID": "42", "KILN_GITLAB_TOKEN": f.Token}
	if r := must(t, w.dir, "drift", env, "--gitlab-issues"); strings.Contains(r.stdout, "GitLab issue") || len(f.Issues()) != 0 {
		t.Fatalf("in sync: %s\n%+v", r, f.Issues())
	}
	cfg := filepath.Join(w.dir, "kiln.yaml")
	writeFile(t, cfg, strings.Replace(w.template, "port: "+port(t, w.dev), "port: 1", 1))
	r := kiln(t, w.dir, "drift", env, "--gitlab-issues")
	wantExit(t, r, 9, "drift in dev (1 change)")
	if !strings.Contains(r.stdout, "dev: GitLab issue opened #1") {
		t.Fatalf("drifted: %s", r)
	}
	wantExit(t, kiln(t, w.dir, "drift", env, "--gitlab-issues"), 9, "drift in dev")
	issues := f.Issues()
	if len(issues) != 1 || issues[0].State != "opened" || !strings.Contains(issues[0].Description, `dev: output.address: update: "127.0.0.1:`) {
		t.Fatalf("issues after two drifted runs: %+v", issues)
	}
	writeFile(t, cfg, w.template)
	r = must(t, w.dir, "drift", env, "--gitlab-issues")
	if !strings.Contains(r.stdout, "dev: GitLab issue closed #1") || f.Issues()[0].State != "closed" {
		t.Fatalf("back in sync: %s\n%+v", r, f.Issues())
	}
}

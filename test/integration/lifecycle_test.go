package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rotate"
)

// TestRollbackTwice: two images promoted in turn; kiln-rollback returns prod to the first,
// a second rollback to the second, each time with Terraform's state holding the exact id
// and the family pointer following. A DEPRECATED target becomes READY again; an OBSOLETE
// one is refused with exit 8, an unknown one with exit 7, and nothing is applied.
func TestRollbackTwice(t *testing.T) {
	w := newWorld(t)
	first, second := promoteTwo(t, w)
	if first == second {
		t.Fatal("the two bakes made the same image")
	}
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: time.Now}
	if got := w.state(t, "prod")["terraform_data.vm"]; got != second {
		t.Fatalf("after two promotions prod's state holds %s, want %s", got, second)
	}
	for i, want := range []string{first, second} {
		r := must(t, w.dir, "rollback", nil)
		if !strings.Contains(r.stdout, "back from "+map[bool]string{true: second, false: first}[i == 0]+" to "+want) {
			t.Fatalf("rollback %d: %s", i+1, r)
		}
		if got := w.state(t, "prod")["terraform_data.vm"]; got != want {
			t.Fatalf("after rollback %d prod's state holds %s, want %s", i+1, got, want)
		}
		if fam, _ := reg.Family("demo-web"); fam.Current != want {
			t.Fatalf("after rollback %d the family points to %s, want %s", i+1, fam.Current, want)
		}
	}
	fam, err := reg.Family("demo-web")
	if err != nil {
		t.Fatal(err)
	}
	if fam.Current != second || len(fam.History) != 4 || fam.History[2].ImageID != first || fam.History[3].Environment != "prod" {
		t.Fatalf("family after promote, promote, rollback, rollback: %+v", fam)
	}

	// A DEPRECATED target runs again, READY.
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := reg.SetState(ctx, first, registry.Deprecated, registry.Dates{Deprecated: at}); err != nil {
		t.Fatal(err)
	}
	must(t, w.dir, "rollback", nil)
	if img, _ := reg.Get(first); w.state(t, "prod")["terraform_data.vm"] != first || img.State != "READY" {
		t.Fatalf("rollback to a DEPRECATED image: prod holds %s, the image is %s", w.state(t, "prod")["terraform_data.vm"], img.State)
	}
	// An OBSOLETE target is refused, and nothing is applied.
	prodState := readFile(t, filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate"))
	if err := reg.SetState(ctx, second, registry.Obsolete, registry.Dates{Deprecated: at.AddDate(0, -1, 0), Obsolete: at}); err != nil {
		t.Fatal(err)
	}
	wantExit(t, kiln(t, w.dir, "rollback", nil), 8, "rollback refused: image "+second+" is OBSOLETE since 2026-03-01")
	wantExit(t, kiln(t, w.dir, "rollback", nil, "--to", "local:sha256:"+strings.Repeat("0", 64)), 7, "is not in the registry")
	if readFile(t, filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")) != prodState {
		t.Fatal("a refused rollback changed prod's state")
	}
}

// rotateAt runs kiln-rotate in-process with the clock at now (the binary takes the real
// clock; the runner's Env is the test's way in).
func rotateAt(t *testing.T, dir string, now time.Time, args ...string) result {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range baseEnv(dir, nil) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code := step.Execute(context.Background(), step.MapEnv(vars, dir, &out, &errb, func() time.Time { return now }), rotate.Step{}, args)
	return result{code, out.String(), errb.String()}
}

// planLines returns the table rows of a rotate report.
func planLines(stdout string) []string {
	var rows []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "local:sha256:") {
			rows = append(rows, l)
		}
	}
	return rows
}

// TestRotateLocal: one image a day for 200 days in the local registry; prod runs an old
// one and dev a newer one (real Terraform states), the family points to recent ones.
// Rotations at four dates: the dry run's table is the apply's, no in-use or family image
// moves, and every transition is dated at its rotation, never before the policy allows.
func TestRotateLocal(t *testing.T) {
	w := newWorld(t)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), w.prodSeedable()+"lifecycle:\n  keep: 3\n  deprecate_after: 30d\n  obsolete_after: 60d\n  delete_after: 90d\n")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := start
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: func() time.Time { return clock }}
	src := t.TempDir()
	ctx := context.Background()
	var ids []string
	deployTo := func(env string, n int) {
		rec := record.New(record.Image{ID: ids[n], Name: fmt.Sprintf("demo-web-%03d", n), Family: "demo-web", Provider: "local", Builder: "file"},
			record.Source{Commit: strings.Repeat("c", 40)}, clock)
		if err := record.Write(filepath.Join(w.dir, "kiln-image.json"), rec); err != nil {
			t.Fatal(err)
		}
		must(t, w.dir, "deploy-dev", nil, "--environment", env)
	}
	point := func(n int) {
		if _, err := reg.Point(ctx, "demo-web", ids[n], "prod", clock); err != nil {
			t.Fatal(err)
		}
	}
	inUse := map[int]string{}
	current, previous := -1, -1
	moved := map[string]map[registry.State]time.Time{}
	for day := 0; day <= 300; day++ {
		if day < 200 {
			clock = start.AddDate(0, 0, day).Add(9 * time.Hour)
			p := filepath.Join(src, fmt.Sprintf("demo-web-%03d.img", day))
			writeFile(t, p, fmt.Sprintf("image %d\n", day))
			img, err := reg.Import([]string{p}, fmt.Sprintf("demo-web-%03d", day), "demo-web", map[string]string{"kiln-family": "demo-web"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, img.ID)
		}
		switch day {
		case 20:
			deployTo("prod", 20)
			inUse[20] = "in use: environment prod: terraform_data.vm"
		case 150:
			deployTo("dev", 150)
			inUse[150] = "in use: environment dev: terraform_data.vm"
		case 90, 95, 180, 190:
			point(day)
			previous, current = current, day
		case 100, 160, 230, 300:
			now := start.AddDate(0, 0, day).Add(3 * time.Hour)
			rotateLocal(t, w, reg, now, inUse, current, previous, ids, moved)
		}
	}
	counts := map[registry.State]int{}
	images, _ := reg.List(ctx, "demo-web")
	for _, img := range images {
		counts[img.State]++
		dates := moved[img.ID]
		if d, ok := dates[registry.Deprecated]; ok && d.Before(img.Created.AddDate(0, 0, 30)) {
			t.Fatalf("%s deprecated on %s, less than 30 days after %s", img.ID, d, img.Created)
		}
		if o, ok := dates[registry.Obsolete]; ok && o.Before(img.Dates.Deprecated.AddDate(0, 0, 30)) {
			t.Fatalf("%s obsolete on %s, less than 30 days after its deprecation on %s", img.ID, o, img.Dates.Deprecated)
		}
		if x, ok := dates[registry.Deleted]; ok && x.Before(img.Dates.Obsolete.AddDate(0, 0, 30)) {
			t.Fatalf("%s deleted on %s, less than 30 days after it became obsolete on %s", img.ID, x, img.Dates.Obsolete)
		}
	}
	entered := map[registry.State]int{}
	for _, m := range moved {
		for s := range m {
			entered[s]++
		}
	}
	t.Logf("after four rotations: %v; transitions: %v", counts, entered)
	if entered[registry.Deleted] == 0 || entered[registry.Obsolete] == 0 || entered[registry.Deprecated] == 0 {
		t.Fatalf("the rotations did not go through every state: %v", entered)
	}
	if img, _ := reg.Get(ids[20]); img.State != "READY" || reg.Verify(img) != nil {
		t.Fatalf("prod's image after the rotations: %+v", img)
	}
}

// rotateLocal runs a dry run and an apply at now and checks them against what is in use.
func rotateLocal(t *testing.T, w *world, reg *local.Registry, now time.Time, inUse map[int]string, current, previous int,
	ids []string, moved map[string]map[registry.State]time.Time) {
	t.Helper()
	ctx := context.Background()
	day := now.Format("2006-01-02")
	protected := map[string]string{ids[current]: "current image", ids[previous]: "kiln-rollback's target"}
	for n, why := range inUse {
		protected[ids[n]] = why
		if now.Sub(mustGet(t, reg, ids[n]).CreatedAt) < 30*24*time.Hour {
			protected[ids[n]] = "" // not due yet: the plan says so rather than why it would stay
		}
	}
	dry := rotateAt(t, w.dir, now)
	if dry.code != 0 || !strings.Contains(dry.stdout, "dry run: nothing changed") {
		t.Fatalf("dry run on %s: %s", day, dry)
	}
	before, _ := reg.List(ctx, "demo-web")
	applied := rotateAt(t, w.dir, now, "--apply")
	if applied.code != 0 {
		t.Fatalf("apply on %s: %s", day, applied)
	}
	if d, a := planLines(dry.stdout), planLines(applied.stdout); strings.Join(d, "\n") != strings.Join(a, "\n") {
		t.Fatalf("%s: the dry run and the apply planned differently:\n%s\n---\n%s", day, strings.Join(d, "\n"), strings.Join(a, "\n"))
	}
	for id, why := range protected {
		if !strings.Contains(lineOf(dry.stdout, id), why) {
			t.Fatalf("%s: %s is not kept for %q: %q", day, id, why, lineOf(dry.stdout, id))
		}
	}
	after, _ := reg.List(ctx, "demo-web")
	n := 0
	for i, img := range after {
		if img.State == before[i].State {
			continue
		}
		n++
		if _, ok := protected[img.ID]; ok {
			t.Fatalf("%s: protected image %s moved to %s", day, img.ID, img.State)
		}
		if moved[img.ID] == nil {
			moved[img.ID] = map[registry.State]time.Time{}
		}
		moved[img.ID][img.State] = now
		if !img.Dates.Of(img.State).Equal(now) {
			t.Fatalf("%s: %s entered %s dated %s", day, img.ID, img.State, img.Dates.Of(img.State))
		}
		if !strings.Contains(applied.stdout, fmt.Sprintf("%s %s: %s -> %s", day, img.ID, before[i].State, img.State)) {
			t.Fatalf("%s: the apply did not report %s", day, img.ID)
		}
	}
	t.Logf("%s: %d transitions; %s", day, n, summaryLine(applied.stdout))
}

func mustGet(t *testing.T, reg *local.Registry, id string) *local.Image {
	t.Helper()
	img, err := reg.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func summaryLine(stdout string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, " to deprecate, ") {
			return l
		}
	}
	return ""
}

// TestRotateUnknownUse: when an environment's state cannot be read, every image that would
// move stays, and the report says why.
func TestRotateUnknownUse(t *testing.T) {
	w := newWorld(t)
	cfg := strings.Replace(w.template, "environments:\n", "environments:\n  broken:\n    terraform: broken/\n", 1)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg+"lifecycle:\n  keep: 1\n  deprecate_after: 1d\n")
	if err := os.MkdirAll(filepath.Join(w.dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.dir, "broken", "main.tf"), "resource {\n")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: func() time.Time { return start }}
	for i := 0; i < 3; i++ {
		p := filepath.Join(t.TempDir(), "disk.img")
		writeFile(t, p, fmt.Sprint(i))
		if _, err := reg.Import([]string{p}, fmt.Sprintf("demo-web-%d", i), "demo-web", nil); err != nil {
			t.Fatal(err)
		}
	}
	r := rotateAt(t, w.dir, start.AddDate(0, 0, 10), "--apply")
	if r.code != 0 || !strings.Contains(r.stdout, "use unknown, kept: environment broken: its Terraform state could not be read") ||
		!strings.Contains(r.stdout, "0 to deprecate") || !strings.Contains(r.stdout, "2 use unknown") {
		t.Fatalf("rotate with an unreadable state: %s", r)
	}
}

// lineOf returns the table row of image id.
func lineOf(stdout, id string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, id+" ") {
			return l
		}
	}
	return ""
}

// TestRotateSeesKeys: an image id that keys Terraform resources (for_each over image ids,
// the one-instance-per-image pattern) or a map attribute is in use: kiln-rotate leaves it
// READY, naming the instance. It used to see only string values, and deprecated (then
// deleted) such an image while an instance ran it.
func TestRotateSeesKeys(t *testing.T) {
	w := newWorld(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &local.Registry{Dir: filepath.Join(w.dir, ".kiln", "images"), Now: func() time.Time { return start }}
	p := filepath.Join(t.TempDir(), "disk.img")
	writeFile(t, p, "keyed")
	img, err := reg.Import([]string{p}, "demo-web-keyed", "demo-web", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, tf, where string }{
		{"for_each key", `resource "terraform_data" "instance" {
  for_each = toset([var.image_id])
  input    = "vm"
}
`, `terraform_data.instance["` + img.ID + `"]`},
		{"map key", `resource "terraform_data" "pool" {
  input = { (var.image_id) = 2 }
}
`, "terraform_data.pool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(w.dir, "keyed-"+strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "main.tf"), "variable \"image_id\" {\n  type = string\n}\n\n"+tc.tf)
			cfg := strings.Replace(w.template, "environments:\n", "environments:\n  live:\n    terraform: "+filepath.Base(dir)+"/\n", 1)
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg+"promote:\n  environment: prod\nlifecycle:\n  keep: 0\n  deprecate_after: 1d\n")
			rec := record.New(record.Image{ID: img.ID, Name: "demo-web-keyed", Family: "demo-web", Provider: "local", Builder: "file"},
				record.Source{Commit: strings.Repeat("e", 40)}, start)
			if err := record.Write(filepath.Join(w.dir, "kiln-image.json"), rec); err != nil {
				t.Fatal(err)
			}
			must(t, w.dir, "deploy-dev", nil, "--environment", "live")
			r := rotateAt(t, w.dir, start.AddDate(0, 0, 10), "--apply")
			if line := lineOf(r.stdout, img.ID); !strings.Contains(line, "in use: environment live: "+tc.where) {
				t.Fatalf("rotate: %q, want in use by %s\n%s", line, tc.where, r)
			}
			if got := mustGet(t, reg, img.ID); got.State != "READY" {
				t.Fatalf("the keyed image is %s", got.State)
			}
		})
	}
}

// promoteTwo bakes, deploys, tests and promotes two images in turn (commits aaa... and
// bbb...) and returns their ids, oldest first.
func promoteTwo(t *testing.T, w *world) (first, second string) {
	t.Helper()
	var ids []string
	for _, sha := range []string{strings.Repeat("a", 40), strings.Repeat("b", 40)} {
		env := map[string]string{"KILN_SOURCE_SHA": sha}
		for _, s := range []string{"bake", "deploy-dev", "test", "promote"} {
			must(t, w.dir, s, env)
		}
		rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.Image.ID)
	}
	return ids[0], ids[1]
}

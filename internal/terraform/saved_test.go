package terraform

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestSavedPlan reads real plan files: the first, against no state, has no lineage and
// serial 0; one made after an apply has the state's own lineage and serial. The plan's
// variables hold the image; its configuration snapshot matches the directory until a file
// changes, is added or is removed.
func TestSavedPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Terraform")
	}
	const image = "local:sha256:ab12"
	w := newWorld(t, map[string]any{"image_id": image})
	ctx := context.Background()
	if err := w.tf.Init(ctx, true); err != nil {
		t.Fatalf("Init: %v\n%s", err, w.log)
	}
	if _, err := w.tf.Workspace(ctx, true); err != nil {
		t.Fatal(err)
	}
	read := func() *SavedPlan {
		t.Helper()
		if _, err := w.tf.Plan(ctx, w.plan); err != nil {
			t.Fatalf("Plan: %v\n%s", err, w.log)
		}
		data, err := os.ReadFile(w.plan)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ReadSavedPlan(data)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := read()
	if first.Lineage != "" || first.Serial != 0 {
		t.Fatalf("a plan against no state: lineage %q serial %d", first.Lineage, first.Serial)
	}
	info, err := w.tf.InspectPlan(ctx, w.plan)
	if err != nil || info.Variables["image_id"] != image || !info.Changes {
		t.Fatalf("InspectPlan = %+v, %v", info, err)
	}
	if ch, err := first.ConfigChanges(w.dir); ch != nil || err != nil {
		t.Fatalf("ConfigChanges of the planned directory = %v, %v", ch, err)
	}
	if ch, err := first.LockChanges(w.dir); ch != nil || err != nil {
		t.Fatalf("LockChanges = %v, %v", ch, err)
	}
	if err := w.tf.ApplyPlan(ctx, w.plan); err != nil {
		t.Fatal(err)
	}
	st, err := w.tf.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := read()
	if second.Lineage != st.Lineage || second.Serial != st.Serial || st.Lineage == "" {
		t.Fatalf("plan against lineage %q serial %d, state is %q %d", second.Lineage, second.Serial, st.Lineage, st.Serial)
	}
	if info, err := w.tf.InspectPlan(ctx, w.plan); err != nil || info.Changes {
		t.Fatalf("a plan with nothing to do: %+v, %v", info, err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", config+"# edited\n")
	write("extra.tf", "locals { x = 1 }\n")
	write(".hidden.tf", "not loaded")
	write("notes.txt", "not configuration")
	ch, err := second.ConfigChanges(w.dir)
	if want := []string{"extra.tf added", "main.tf changed"}; err != nil || !reflect.DeepEqual(ch, want) {
		t.Fatalf("ConfigChanges = %v, %v; want %v", ch, err, want)
	}
	os.Remove(filepath.Join(w.dir, "main.tf"))
	if ch, _ := second.ConfigChanges(w.dir); !reflect.DeepEqual(ch, []string{"extra.tf added", "main.tf removed"}) {
		t.Fatalf("ConfigChanges after a removal = %v", ch)
	}
}

// TestSavedPlanLocks compares dependency locks provider by provider, and local modules'
// files with their directories.
func TestSavedPlanLocks(t *testing.T) {
	lock := func(pairs ...string) string {
		var b bytes.Buffer
		b.WriteString("# This file is maintained automatically by \"terraform init\".\n")
		for i := 0; i < len(pairs); i += 2 {
			b.WriteString("provider \"" + pairs[i] + "\" {\n  version     = \"" + pairs[i+1] + "\"\n  constraints = \"~> 5.0\"\n  hashes = [\n    \"h1:abc=\",\n  ]\n}\n\n")
		}
		return b.String()
	}
	plan := planZip(t, map[string]string{
		"tfstate":                  `{"version": 4, "serial": 9, "lineage": "l-1"}`,
		"tfconfig/modules.json":    `[{"Key":"","Dir":"."},{"Key":"vm","Source":"./modules/vm","Dir":"modules/vm"},{"Key":"net","Source":"registry.terraform.io/acme/net/aws","Version":"1.0.0","Dir":".terraform/modules/net"}]`,
		"tfconfig/m-/main.tf":      "module \"vm\" { source = \"./modules/vm\" }\n",
		"tfconfig/m-vm/vm.tf":      "resource \"terraform_data\" \"vm\" {}\n",
		"tfconfig/m-net/net.tf":    "# a registry module: pinned by the root's source and version\n",
		".terraform.lock.hcl":      lock("registry.terraform.io/hashicorp/aws", "5.1.0", "registry.terraform.io/hashicorp/random", "3.6.0"),
		"tfplan":                   "opaque",
		"tfstate-prev":             "{}",
		"tfconfig/m-vm/README.md":  "ignored by Terraform, kept by nobody",
		"tfconfig/m-/variables.tf": "",
	})
	p, err := ReadSavedPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lineage != "l-1" || p.Serial != 9 {
		t.Fatalf("prior state %q %d", p.Lineage, p.Serial)
	}
	dir := t.TempDir()
	files := map[string]string{
		"main.tf":              "module \"vm\" { source = \"./modules/vm\" }\n",
		"variables.tf":         "",
		"modules/vm/vm.tf":     "resource \"terraform_data\" \"vm\" { input = 2 }\n",
		"modules/vm/README.md": "ignored by Terraform, kept by nobody",
		".terraform.lock.hcl":  lock("registry.terraform.io/hashicorp/aws", "5.2.0", "registry.terraform.io/hashicorp/null", "3.2.0"),
	}
	for name, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := p.ConfigChanges(dir)
	if want := []string{"modules/vm/vm.tf changed"}; err != nil || !reflect.DeepEqual(ch, want) {
		t.Fatalf("ConfigChanges = %v, %v; want %v", ch, err, want)
	}
	locks, err := p.LockChanges(dir)
	want := []string{"registry.terraform.io/hashicorp/aws 5.1.0 -> 5.2.0", "registry.terraform.io/hashicorp/null none -> 3.2.0",
		"registry.terraform.io/hashicorp/random 3.6.0 -> none"}
	if err != nil || !reflect.DeepEqual(locks, want) {
		t.Fatalf("LockChanges = %v, %v; want %v", locks, err, want)
	}
	for _, bad := range [][]byte{[]byte("not a zip"), planZip(t, map[string]string{"tfplan": "x"})} {
		if _, err := ReadSavedPlan(bad); err == nil {
			t.Errorf("ReadSavedPlan(%q...) accepted it", bad[:4])
		}
	}
}

func planZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

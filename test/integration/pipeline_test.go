package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

// TestPipeline runs the six steps in order: the image id Packer produced is the one
// Terraform received in dev and in prod, read back from Terraform's own state.
func TestPipeline(t *testing.T) {
	w := newWorld(t)
	must(t, w.dir, "validate", nil)
	must(t, w.dir, "bake", nil)

	files := w.packerOutputs(t)
	if len(files) != 1 {
		t.Fatalf("packer wrote %v, want one image file", files)
	}
	wantID := "local:sha256:" + sha256File(t, files[0])
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Image.ID != wantID {
		t.Fatalf("record image id %s, packer's file hashes to %s", rec.Image.ID, wantID)
	}
	env := readFile(t, filepath.Join(w.dir, "kiln.env"))
	if !strings.Contains(env, "KILN_IMAGE_ID="+wantID+"\n") {
		t.Fatalf("kiln.env lacks the image id:\n%s", env)
	}

	must(t, w.dir, "deploy-dev", nil)
	if got := w.state(t, "dev")["terraform_data.vm"]; got != wantID {
		t.Fatalf("dev state holds image %q, want %q", got, wantID)
	}
	must(t, w.dir, "test", nil)
	junit := readFile(t, filepath.Join(w.dir, "kiln-junit.xml"))
	if !strings.Contains(junit, `tests="2"`) || !strings.Contains(junit, `failures="0"`) {
		t.Fatalf("junit report:\n%s", junit)
	}

	must(t, w.dir, "promote", nil)
	if got := w.state(t, "prod")["terraform_data.vm"]; got != wantID {
		t.Fatalf("prod state holds image %q, want %q", got, wantID)
	}
	family := readFile(t, filepath.Join(w.dir, ".kiln", "images", "families", "demo-web.json"))
	if !strings.Contains(family, `"current": "`+wantID+`"`) {
		t.Fatalf("family pointer:\n%s", family)
	}

	// A second promote changes nothing: no apply, same record, same family file.
	before := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	prodState := readFile(t, filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate"))
	r := must(t, w.dir, "promote", nil)
	if !strings.Contains(r.stdout, "already promoted") {
		t.Fatalf("second promote: %s", r)
	}
	if readFile(t, filepath.Join(w.dir, "kiln-image.json")) != before {
		t.Fatal("second promote rewrote the record")
	}
	if readFile(t, filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")) != prodState {
		t.Fatal("second promote changed prod's state")
	}
	if readFile(t, filepath.Join(w.dir, ".kiln", "images", "families", "demo-web.json")) != family {
		t.Fatal("second promote moved the family pointer")
	}

	must(t, w.dir, "destroy-dev", nil)
	if left := w.state(t, "dev"); len(left) != 0 {
		t.Fatalf("dev state after destroy: %v", left)
	}
	r = must(t, w.dir, "destroy-dev", nil)
	if !strings.Contains(r.stderr, "nothing to do") {
		t.Fatalf("second destroy-dev: %s", r)
	}
	// prod is untouched by destroy-dev
	if got := w.state(t, "prod")["terraform_data.vm"]; got != wantID {
		t.Fatalf("prod state after destroy-dev: %q", got)
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".kiln", "images", "images", strings.TrimPrefix(wantID, "local:sha256:"))); err != nil {
		t.Fatalf("image missing from the registry: %v", err)
	}
}

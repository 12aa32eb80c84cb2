package terraform

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestInitOnce: the first init runs, a second with nothing changed is skipped, and a
// change to the configuration, the backend settings or a removed stamp runs it again.
func TestInitOnce(t *testing.T) {
	w := newWorld(t, map[string]any{"image_id": "x"})
	ctx := context.Background()
	step := func(label string, want bool) {
		t.Helper()
		ran, err := w.tf.InitOnce(ctx)
		if err != nil {
			t.Fatalf("%s: InitOnce: %v\n%s", label, err, w.log)
		}
		if ran != want {
			t.Fatalf("%s: init ran = %v, want %v", label, ran, want)
		}
	}
	step("first", true)
	step("unchanged", false)
	if err := os.WriteFile(filepath.Join(w.dir, "extra.tf"), []byte("locals {\n  x = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("a new .tf file", true)
	step("unchanged again", false)
	if err := os.WriteFile(w.tf.o.BackendFile, []byte("path = \""+filepath.Join(w.stateDir, "other.tfstate")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	step("other backend settings", true)
	os.Remove(filepath.Join(w.tf.o.DataDir, stampFile))
	step("stamp removed", true)
	w.tf.o.Env["TF_HTTP_ADDRESS"] = "http://127.0.0.1:9/state"
	sum, _ := w.tf.initSum()
	w.tf.o.Env["TF_HTTP_PASSWORD"] = "rotated-job-token"
	if again, _ := w.tf.initSum(); again != sum {
		t.Fatal("the backend password changes the init sum: a new job token would re-init every job")
	}
	w.tf.o.Env["TF_HTTP_ADDRESS"] = "http://127.0.0.1:9/other"
	if again, _ := w.tf.initSum(); again == sum {
		t.Fatal("another TF_HTTP_ADDRESS keeps the init sum")
	}
}

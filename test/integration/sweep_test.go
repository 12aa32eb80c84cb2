package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledRunSwept: kiln-deploy-dev killed with SIGKILL mid-apply leaves its private
// directory (the 0600 variable file) behind; the next kiln step, whichever it is, removes it
// and says so.
func TestKilledRunSwept(t *testing.T) {
	w := newWorld(t)
	must(t, w.dir, "bake", nil)
	tf := readFile(t, filepath.Join(w.dir, "terraform", "main.tf"))
	writeFile(t, filepath.Join(w.dir, "terraform", "main.tf"), strings.Replace(tf, "  input = var.image_id\n",
		"  input = var.image_id\n\n  provisioner \"local-exec\" {\n    command = \"touch started; sleep 30\"\n  }\n", 1))
	tmp := t.TempDir()
	env := map[string]string{"TMPDIR": tmp}
	cmd := exec.Command(filepath.Join(binDir, "kiln-deploy-dev"))
	cmd.Dir, cmd.Env = w.dir, baseEnv(w.dir, env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(w.dir, "terraform", "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the provisioner never started:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "kiln-tf-*"))
	if len(left) != 1 {
		t.Fatalf("private directories while deploying: %v", left)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(left[0], "kiln.auto.tfvars.json")); err != nil {
		t.Fatalf("the killed run's variable file is not where the sweep must find it: %v", err)
	}
	r := must(t, w.dir, "validate", env)
	if !strings.Contains(r.stderr, "removed 1 private temporary directory left by killed kiln runs") {
		t.Fatalf("kiln-validate did not sweep: %s", r)
	}
	if rest, _ := filepath.Glob(filepath.Join(tmp, "kiln-*")); len(rest) != 0 {
		t.Fatalf("left after the sweep: %v", rest)
	}
}

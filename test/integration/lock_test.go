package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHeldLock: while another process holds dev's state lock, deploy-dev exits 3 naming the
// lock id and its holder, and leaves the record as it was.
func TestHeldLock(t *testing.T) {
	w := bakeAndDeploy(t)
	before := readFile(t, filepath.Join(w.dir, "kiln-image.json"))
	stateDir := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "dev")
	release := holdLock(t, stateDir, "8d3b5a4e-lock-held-by-test", "ci-runner-7@build-host")
	defer release()

	r := kiln(t, w.dir, "deploy-dev", nil)
	wantExit(t, r, 3, "8d3b5a4e-lock-held-by-test", "ci-runner-7@build-host")
	if readFile(t, filepath.Join(w.dir, "kiln-image.json")) != before {
		t.Fatal("a refused deploy rewrote the record")
	}
	release()
	must(t, w.dir, "deploy-dev", nil)
}

// holdLock takes Terraform's local-backend lock on a workspace's state as Terraform does: a
// POSIX write lock on the state file plus the lock info file beside it.
func holdLock(t *testing.T, dir, id, who string) func() {
	t.Helper()
	state := filepath.Join(dir, "terraform.tfstate")
	f, err := os.OpenFile(state, os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"ID": id, "Operation": "OperationTypeApply", "Who": who,
		"Version": "1.5.7", "Created": time.Now().UTC().Format(time.RFC3339Nano), "Path": state})
	infoPath := filepath.Join(dir, ".terraform.tfstate.lock.info")
	writeFile(t, infoPath, string(info))
	done := false
	return func() {
		if done {
			return
		}
		done = true
		lk.Type = syscall.F_UNLCK
		syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
		f.Close()
		os.Remove(infoPath)
	}
}

// TestInterruptedBake: SIGTERM during packer build stops Packer gracefully, kiln exits 143,
// writes no record, and leaves no provisioner process behind.
func TestInterruptedBake(t *testing.T) {
	w := newWorld(t)
	marker := "sleep 300." + itoa(os.Getpid()) // unique, to find it with pgrep
	tmplPath := filepath.Join(w.dir, "packer", "image.pkr.hcl")
	tmpl := strings.Replace(readFile(t, tmplPath), "  sources = [\"source.file.image\"]\n",
		"  sources = [\"source.file.image\"]\n\n  provisioner \"shell-local\" {\n    inline = [\"echo started > "+filepath.Join(w.dir, "started")+"\", \""+marker+"\"]\n  }\n", 1)
	writeFile(t, tmplPath, tmpl)

	cmd := exec.Command(filepath.Join(binDir, "kiln-bake"))
	cmd.Dir = w.dir
	cmd.Env = baseEnv(w.dir, map[string]string{"KILN_STOP_TIMEOUT": "5s"})
	var out strings.Builder
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(w.dir, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the provisioner never started:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 143 {
		t.Fatalf("exit %d, want 143:\n%s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(w.dir, "kiln-image.json")); err == nil {
		t.Fatal("an interrupted bake wrote a record")
	}
	if ps, _ := exec.Command("pgrep", "-f", marker).Output(); len(strings.TrimSpace(string(ps))) > 0 {
		t.Fatalf("provisioner process left behind: %s", ps)
	}
}

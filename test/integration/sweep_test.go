package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
)

// TestKilledDeployStopsTerraform: kiln-deploy-dev killed with SIGKILL mid-apply does not take
// Terraform with it. Its supervisor interrupts Terraform, which saves its state and releases
// its lock; then the provisioner's child is killed and the private directory with the
// 0600 variable file removed, with no other kiln step run. The next deploy succeeds.
func TestKilledDeployStopsTerraform(t *testing.T) {
	w := newWorld(t)
	must(t, w.dir, "bake", nil)
	tf := readFile(t, filepath.Join(w.dir, "terraform", "main.tf"))
	writeFile(t, filepath.Join(w.dir, "terraform", "main.tf"), strings.Replace(tf, "  input = var.image_id\n",
		"  input = var.image_id\n\n  provisioner \"local-exec\" {\n    command = \"sleep 300 >/dev/null 2>&1 & echo $! > child; touch started; sleep 30\"\n  }\n", 1))
	tmp := t.TempDir()
	env := map[string]string{"TMPDIR": tmp}
	cmd := exec.Command(filepath.Join(binDir, "kiln-deploy-dev"))
	cmd.Dir, cmd.Env = w.dir, baseEnv(w.dir, env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	run := owner.ProcessID(cmd.Process.Pid)
	waitFile(t, filepath.Join(w.dir, "terraform", "started"), cmd, &out)
	if left, _ := filepath.Glob(filepath.Join(tmp, "kiln-tf-*")); len(left) != 1 {
		t.Fatalf("private directories while deploying: %v", left)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	child, _ := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(w.dir, "terraform", "child"))))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var procs []string
		for _, p := range owner.Processes() {
			if p.Run.ID == run {
				procs = append(procs, fmt.Sprintf("%d %s", p.PID, p.Command))
			}
		}
		dirs, _ := filepath.Glob(filepath.Join(tmp, "kiln-tf-*"))
		if len(procs) == 0 && len(dirs) == 0 && syscall.Kill(child, 0) != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after kiln was killed: processes %v, private directories %v, provisioner child alive %v\n%s",
				procs, dirs, syscall.Kill(child, 0) == nil, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	must(t, w.dir, "deploy-dev", env)
	// The provisioner ran again to its end, and its child outlived it, as it would any run:
	// kiln-sweep's business, not this test's.
	child, _ = strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(w.dir, "terraform", "child"))))
	syscall.Kill(child, syscall.SIGKILL)
}

// TestSweep: kiln-sweep lists, then with --apply removes, a dead run's private directory, a
// process of a dead run, and a dev environment past its TTL; a second sweep finds nothing.
func TestSweep(t *testing.T) {
	w := newWorld(t)
	tmp := t.TempDir()
	env := map[string]string{"TMPDIR": tmp, "KILN_TTL": "1s"}
	must(t, w.dir, "bake", env)
	must(t, w.dir, "deploy-dev", env)

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := gone.Process.Pid
	dir := filepath.Join(tmp, fmt.Sprintf("kiln-vault-%d-x1", dead))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	// A build VM of a dead run, still in the process group its supervisor ran the tool in,
	// and a VM that run started in a session of its own (meant to outlive it: left alone).
	labels := []string{owner.EnvID + "=" + strconv.Itoa(dead) + ".12345", owner.EnvHost + "=" + host, owner.EnvStep + "=bake",
		owner.EnvExpires + "=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}
	orphan := exec.Command("sh", "-c", `exec env `+owner.EnvGroup+`=$$ sleep 300`)
	orphan.Env = append(os.Environ(), labels...)
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	detached := exec.Command("sh", "-c", `exec env `+owner.EnvGroup+`=1 sleep 300`)
	detached.Env = append(os.Environ(), labels...)
	detached.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	for _, c := range []*exec.Cmd{orphan, detached} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		defer c.Process.Kill()
	}
	time.Sleep(1100 * time.Millisecond) // dev's TTL ends

	r := must(t, w.dir, "sweep", env)
	for _, want := range []string{
		"temp-dir " + dir + ": kiln process " + strconv.Itoa(dead) + " no longer runs",
		fmt.Sprintf("process %d (sleep): its kiln run (kiln-bake %d.12345) no longer runs (dry run", orphan.Process.Pid, dead),
		"environment dev: deployed ",
		"3 found (dry run)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the dry run lacks %q:\n%s", want, r)
		}
	}
	if _, err := os.Stat(dir); err != nil || syscall.Kill(orphan.Process.Pid, 0) != nil {
		t.Fatal("the dry run removed something")
	}

	r = must(t, w.dir, "sweep", env, "--apply")
	if !strings.Contains(r.stdout, "3 found, 3 removed") {
		t.Fatalf("--apply: %s", r)
	}
	if err := orphan.Wait(); err == nil {
		t.Error("the orphan process was not killed")
	}
	if syscall.Kill(detached.Process.Pid, 0) != nil {
		t.Error("the sweep killed a process that left its run's process group")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the private directory is still there")
	}
	if st := w.state(t, "dev"); len(st) != 0 {
		t.Errorf("dev still has resources after the sweep destroyed it: %v", st)
	}
	if r := must(t, w.dir, "sweep", env); !strings.Contains(r.stdout, "nothing to sweep") {
		t.Errorf("a second sweep: %s", r)
	}
}

func waitFile(t *testing.T, path string, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s never appeared:\n%s", path, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSweepLeavesOthersAlone: kiln-sweep never destroys an environment a promotion went to,
// even one promoted to with --environment under a short TTL, nor a dev environment a newer
// run redeployed since the record it reads.
func TestSweepLeavesOthersAlone(t *testing.T) {
	w := newWorld(t)
	cfg := strings.Replace(w.template, "  prod:\n", "  prod-eu:\n    terraform: terraform/\n    vars:\n      port: 1\n  prod:\n", 1)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)
	short := map[string]string{"KILN_TTL": "1s", "KILN_SOURCE_SHA": strings.Repeat("a", 40)}
	for _, s := range []string{"bake", "deploy-dev", "test"} {
		must(t, w.dir, s, short)
	}
	must(t, w.dir, "promote", short, "--environment", "prod-eu")
	old := readFile(t, filepath.Join(w.dir, "kiln-image.json"))

	// A newer pipeline redeploys dev with its own image and a long TTL.
	newer := map[string]string{"KILN_SOURCE_SHA": strings.Repeat("b", 40)}
	must(t, w.dir, "bake", newer)
	must(t, w.dir, "deploy-dev", newer)
	devState := w.state(t, "dev")
	time.Sleep(1100 * time.Millisecond)

	writeFile(t, filepath.Join(w.dir, "kiln-image.json"), old) // a late job of the old pipeline
	r := must(t, w.dir, "sweep", nil, "--apply")
	if strings.Contains(r.stdout, "environment ") {
		t.Fatalf("kiln-sweep found an environment to destroy:\n%s", r)
	}
	if len(w.state(t, "prod-eu")) == 0 {
		t.Error("prod-eu was destroyed")
	}
	if got := w.state(t, "dev"); fmt.Sprint(got) != fmt.Sprint(devState) {
		t.Errorf("dev changed: %v, want %v", got, devState)
	}
}

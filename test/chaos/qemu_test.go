package chaos

import (
	"bytes"
	"fmt"
	"math/rand/v2"
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

// TestChaosQEMU cancels kiln-bake of examples/local (Packer's qemu builder booting a real VM
// under QEMU) KILN_CHAOS_QEMU times; `make chaos` runs 10, `make test` none (the demo's one
// pipeline pass is its QEMU run). After each cancel: no QEMU, Packer or plugin process of the
// run, no private directory, no partial record; after a SIGKILL kiln-sweep --apply; then a
// whole bake succeeds in the same workspace.
func TestChaosQEMU(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("KILN_CHAOS_QEMU"))
	if runs <= 0 {
		t.Skip("KILN_CHAOS_QEMU is not set (make chaos sets it)")
	}
	// The example as committed, without what a demo run left in the checkout.
	dir := filepath.Join(t.TempDir(), "local")
	files, err := exec.Command("git", "-C", repoRoot, "ls-files", "examples/local").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(filepath.Join(repoRoot, f))
		dst := filepath.Join(dir, strings.TrimPrefix(f, "examples/local/"))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	prep := exec.Command("bash", filepath.Join(repoRoot, "scripts", "demo.sh"), "prepare")
	prep.Env = append(os.Environ(), "KILN_DEMO_DIR="+dir, "KILN_DEMO_NO_BUILD=1")
	if out, err := prep.CombinedOutput(); err != nil {
		t.Fatalf("demo.sh prepare: %v\n%s", err, out)
	}
	accel, err := os.ReadFile(filepath.Join(dir, ".build", "accel"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, ".tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TMPDIR="+tmp, "KILN_TERRAFORM="+terraform, "KILN_PACKER="+packer, "KILN_TOOLS_OFFLINE=1",
		"KILN_SOURCE_REF=master", "KILN_STOP_TIMEOUT=30s", "PKR_VAR_accelerator="+strings.TrimSpace(string(accel)))
	bake := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(filepath.Join(binDir, "kiln-bake"))
		cmd.Dir = dir
		cmd.Env = append(env, "KILN_SOURCE_SHA="+sha())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd, &out
	}
	whole := func() time.Duration {
		cmd, out := bake()
		began := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("kiln-bake: %v\n%s", err, out)
		}
		return time.Since(began)
	}
	took := whole()
	t.Logf("a whole bake took %s", took.Round(time.Second))

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d", seed)
	var all []outcome
	start := time.Now()
	for i := 0; i < runs; i++ {
		sig := signals[i%len(signals)]
		o := outcome{kind: "bake (qemu)", signal: sig, landed: true}
		recPath, envPath := filepath.Join(dir, "kiln-image.json"), filepath.Join(dir, "kiln.env")
		oldRec, _ := os.ReadFile(recPath)
		oldEnv, _ := os.ReadFile(envPath)
		cmd, out := bake()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		run := owner.ProcessID(pid)
		delay := time.Duration(rng.Int64N(int64(took * 9 / 10)))
		time.Sleep(delay)
		qemuSeen := false
		for _, p := range owner.Processes() {
			if p.Run.ID == run && strings.HasPrefix(p.Command, "qemu-system") {
				qemuSeen = true
			}
		}
		send(pid, sig)
		err := cmd.Wait()
		o.elapsed = delay
		o.out = out.String()
		if ee, ok := err.(*exec.ExitError); ok {
			o.exit = ee.ExitCode()
		}
		deadline := time.Now().Add(90 * time.Second)
		for len(runProcesses(run, true)) > 0 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		procs := runProcesses(run, false)
		o.processes = len(procs)
		o.tempDirs = len(glob(filepath.Join(tmp, fmt.Sprintf("kiln-*-%d-*", pid))))
		o.partial = partial(oldRec, recPath, oldEnv, envPath)
		killed := sig == sigKILL || sig == groupKIL
		if o.processes > 0 {
			o.problems = append(o.problems, fmt.Sprintf("processes of the run left (QEMU seen running before the signal: %v): %v", qemuSeen, procs))
		}
		if o.partial {
			o.problems = append(o.problems, "partial record or kiln.env")
		}
		if !killed && o.tempDirs > 0 {
			o.problems = append(o.problems, fmt.Sprintf("%d private directories left", o.tempDirs))
		}
		if killed {
			sw := exec.Command(filepath.Join(binDir, "kiln-sweep"), "--apply")
			sw.Dir, sw.Env = dir, env
			swOut, err := sw.CombinedOutput()
			o.sweepOutput = string(swOut)
			o.swept = !strings.Contains(o.sweepOutput, "nothing to sweep")
			if err != nil {
				o.problems = append(o.problems, fmt.Sprintf("kiln-sweep --apply: %v", err))
			}
			o.sweepLeft = len(runProcesses(run, false)) + len(glob(filepath.Join(tmp, fmt.Sprintf("kiln-*-%d-*", pid))))
		}
		cmd, out = bake()
		if err := cmd.Run(); err != nil {
			o.nextFailed = true
			o.problems = append(o.problems, fmt.Sprintf("the next kiln-bake: %v\n%s", err, out))
		}
		all = append(all, o)
		for _, p := range o.problems {
			t.Errorf("qemu cancel %d (%s after %s): %s\nstep output:\n%s\nsweep output:\n%s", i+1, sig, delay.Round(time.Millisecond), p, o.out, o.sweepOutput)
		}
	}
	t.Log("\n" + table(all, time.Since(start)))
}

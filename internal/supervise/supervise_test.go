package supervise

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays kiln when KILN_TEST_PLAY_KILN is set: it starts the tool script under
// the supervisor as terraform-exec starts Terraform (own process group, SIGKILL on its
// parent's death), makes a private directory as a step does, and waits to be killed.
func TestMain(m *testing.M) {
	if script := os.Getenv("KILN_TEST_PLAY_KILN"); script != "" {
		playKiln(script)
		return
	}
	os.Exit(m.Run())
}

func playKiln(script string) {
	base := os.Getenv("KILN_TEST_BASE")
	if err := os.Mkdir(filepath.Join(base, "kiln-tf-"+strconv.Itoa(os.Getpid())+"-x"), 0o700); err != nil {
		panic(err)
	}
	exe, env := Command("/bin/sh", 0, base)
	cmd := exec.Command(exe, script)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for i, kv := range cmd.Env {
		if strings.HasPrefix(kv, "KILN_TEST_PLAY_KILN=") {
			cmd.Env[i] = "KILN_TEST_PLAYED=1"
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		panic(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() { // reads the tool's output until killed
	}
	_ = cmd.Wait()
}

// TestKilnKilled: SIGKILL of kiln reaches the tool as SIGINT, the tool's output after that
// does not kill it, what it started is killed once it exits, and kiln's private directory
// is removed.
func TestKilnKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "tool.sh")
	body := `trap 'sleep 0.3; echo still writing; echo int > "$D/interrupted"; exit 3' INT
sleep 300 &
echo $! > "$D/child"
echo started > "$D/started"
while :; do echo line; sleep 0.1; done
`
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	kiln := exec.Command(os.Args[0], "-test.run=^$")
	kiln.Env = append(os.Environ(), "KILN_TEST_PLAY_KILN="+script, "KILN_TEST_BASE="+dir, "D="+dir)
	if err := kiln.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, "started"))
	privdir := filepath.Join(dir, "kiln-tf-"+strconv.Itoa(kiln.Process.Pid)+"-x")
	if _, err := os.Stat(privdir); err != nil {
		t.Fatalf("kiln's private directory: %v", err)
	}
	if err := kiln.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = kiln.Wait()
	waitFor(t, filepath.Join(dir, "interrupted"))
	data, err := os.ReadFile(filepath.Join(dir, "child"))
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) || exists(privdir) {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the tool stopped: its child alive %v, kiln's private directory there %v", alive(child), exists(privdir))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestToolEnv(t *testing.T) {
	got := toolEnv([]string{"A=1", envTool + "=/x", envParent + "=1", "KILN_RUN_ID=2"})
	if strings.Join(got, " ") != "A=1 KILN_RUN_ID=2" {
		t.Errorf("toolEnv = %q", got)
	}
}

func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !exists(path) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

// TestInheritedSettings: KILN_SUPERVISE_TOOL from a job's environment does not turn a kiln
// binary into a supervisor of that tool: it runs as itself, and the settings are dropped.
func TestInheritedSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	marker := filepath.Join(t.TempDir(), "ran")
	// A shell that names itself as the parent, as a job's script could.
	cmd := exec.Command("sh", "-c", envParent+`=$$ "$@"; exit $?`, "sh", os.Args[0], "-test.run=^TestToolEnv$", "-test.v", marker)
	cmd.Env = append(os.Environ(), envTool+"=/bin/touch")
	out, err := cmd.CombinedOutput()
	if exists(marker) {
		t.Fatalf("the inherited KILN_SUPERVISE_TOOL ran: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestToolEnv") {
		t.Fatalf("the binary did not run as itself: %v\n%s", err, out)
	}
}

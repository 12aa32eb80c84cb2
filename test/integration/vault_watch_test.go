package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// watched is one kiln run and what every other process exposed while it ran.
type watched struct {
	result
	argv    map[string]bool   // every command line seen (NUL-separated, as /proc has it)
	environ map[string]string // every environment seen but kiln's own -> a command line that had it
}

// runWatched runs kiln-<step> in dir like kiln() and, while it runs, reads the command line
// and environment of every process on the machine every 10 ms (kiln's children live a
// second or more; a process shorter than the interval may be missed). during, when set, runs
// beside the step with its process (to signal it).
func runWatched(t *testing.T, dir, step string, env map[string]string, during func(*os.Process), args ...string) watched {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step), args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir, env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kiln-%s: %v", step, err)
	}
	pw := watchProcs(cmd.Process.Pid)
	if during != nil {
		go during(cmd.Process)
	}
	err := cmd.Wait()
	pw.stop()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run kiln-%s: %v", step, err)
	}
	return watched{result{code, out.String(), errb.String()}, pw.argv, pw.environ}
}

// procWatch polls /proc in a goroutine.
type procWatch struct {
	kiln    int // kiln's pid: its environment holds the credentials it was given
	argv    map[string]bool
	environ map[string]string
	quit    chan struct{}
	done    sync.WaitGroup
}

func watchProcs(kilnPID int) *procWatch {
	pw := &procWatch{kiln: kilnPID, argv: map[string]bool{}, environ: map[string]string{}, quit: make(chan struct{})}
	pw.done.Add(1)
	go func() {
		defer pw.done.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			pw.scan()
			select {
			case <-pw.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return pw
}

// stop ends the polling after one last scan.
func (pw *procWatch) stop() {
	close(pw.quit)
	pw.done.Wait()
}

func (pw *procWatch) scan() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		argv, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && len(argv) > 0 {
			pw.argv[string(argv)] = true
		}
		// kiln itself, and a child between fork and exec, which still shows kiln's memory.
		if pid == pw.kiln || strings.HasPrefix(string(argv), binDir) {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/environ"); err == nil && len(b) > 0 {
			pw.environ[string(b)] = string(argv)
		}
	}
}

package integration

import (
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/strategy"
)

// TestStrategyCancels cuts blue-green promotions short (SIGTERM at a random moment: during
// an apply, the checks, the drain or the scale-down) while clients load prod, then runs
// kiln-promote again. Whatever the moment, no client request fails, and the second run
// finishes the promotion: the new image alone on one slot, the family pointing to it.
// KILN_ROLLOUT_CANCELS sets the number of cancels (default 3; make chaos-rollout: 50).
func TestStrategyCancels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs HAProxy and kiln-demo slots")
	}
	haproxy := haproxyBinary(t)
	n := 3
	if v, err := strconv.Atoi(os.Getenv("KILN_ROLLOUT_CANCELS")); err == nil && v > 0 {
		n = v
	}
	w := newStrategyWorld(t, haproxy)
	w.setStrategy(t, "  strategy:\n    type: blue-green\n    drain: 2s\n    health: {max_error_rate: 0.01, interval: 250ms}\n")
	w.build(t, "0", "")
	must(t, w.dir, "promote", nil)

	var total, failed uint64
	for i := range n {
		id := w.build(t, "0", "")
		l := startLoad(t, "http://"+w.frontend+"/", 300*time.Millisecond)
		cmd := kilnCommand(w.dir, "promote")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A promotion here takes about 3-5 s: cut anywhere in its first 5 s.
		after := time.Duration(rand.IntN(5000)) * time.Millisecond
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		cut := "cut"
		if err == nil {
			cut = "finished before the signal"
		}
		again := kiln(t, w.dir, "promote", nil)
		seen := l.stop(300 * time.Millisecond)
		total, failed = total+seen.Requests, failed+seen.Failed
		t.Logf("cancel %d after %s (%s): clients %s", i+1, after, cut, seen)
		if again.code != 0 {
			t.Fatalf("cancel %d: kiln-promote again: %s", i+1, again)
		}
		if seen.Failed != 0 {
			t.Errorf("cancel %d after %s: clients saw %d failed requests (first: %s)", i+1, after, seen.Failed, seen.FirstError)
		}
		live := w.current(t)
		if live.Live == "" || live.Images[live.Live] != id || live.Images[strategy.Other(live.Live)] != "" {
			t.Fatalf("cancel %d: after the second run %+v, want %s alone", i+1, live, id)
		}
		w.wantFamily(t, id)
		w.wantServing(t, id)
	}
	t.Logf("%d cancels: clients sent %d requests, %d failed", n, total, failed)
}

// kilnCommand is kiln-<step> in dir with the tests' environment, its output discarded.
func kilnCommand(dir, step string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step), args...)
	cmd.Dir, cmd.Env = dir, baseEnv(dir, nil)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	return cmd
}

package chaos

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/testkit"
)

// TestConcurrency: two kiln-deploy-dev of one environment at once: one applies, the other
// waits lock_timeout for the state lock and exits 3 naming the lock, and the state stays
// whole (the next deploy succeeds and the stored state parses). Two kiln-bake of one commit
// at once both succeed, each with its own record.
func TestConcurrency(t *testing.T) {
	w := newWorld(t)
	cfgPath := filepath.Join(w.dir, "kiln.yaml")
	cfg := testkit.ReadFile(t, cfgPath)
	testkit.WriteFile(t, cfgPath, strings.Replace(cfg, "    workspace: default\n", "    workspace: default\n    lock_timeout: 1s\n", 1))
	w.must(t, "bake")

	t.Run("deploy-dev twice", func(t *testing.T) {
		first, firstOut := w.start("deploy-dev")
		deadline := time.Now().Add(60 * time.Second)
		for !w.state.Locked("dev") {
			if time.Now().After(deadline) {
				t.Fatalf("the first deploy never took the lock:\n%s", firstOut)
			}
			time.Sleep(20 * time.Millisecond)
		}
		began := time.Now()
		code, out := w.run("deploy-dev")
		waited := time.Since(began)
		if code != 3 || !strings.Contains(out, "lock id ") {
			t.Errorf("the second deploy: exit %d, want 3 naming the lock:\n%s", code, out)
		}
		if err := first.Wait(); err != nil {
			t.Fatalf("the first deploy: %v\n%s", err, firstOut)
		}
		t.Logf("the second deploy waited %s for the lock, then exited %d", waited.Round(10*time.Millisecond), code)
		var st struct {
			Serial  int64 `json:"serial"`
			Lineage string
		}
		if err := json.Unmarshal(w.state.State("dev"), &st); err != nil || st.Lineage == "" {
			t.Fatalf("dev's state: %v", err)
		}
		w.must(t, "deploy-dev")
	})

	t.Run("bake twice", func(t *testing.T) {
		const commit = "0c0ffee000000000000000000000000000000001"
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for _, rec := range []string{"a.json", "b.json"} {
			cmd := exec.Command(filepath.Join(binDir, "kiln-bake"), "--record", rec, "--env-file", rec+".env")
			cmd.Dir = w.dir
			cmd.Env = w.environ("KILN_SOURCE_SHA=" + commit)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, &out)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("bake %d: %v\n%s", i, err, outs[i])
			}
		}
		for _, rec := range []string{"a.json", "b.json"} {
			r, err := record.Read(filepath.Join(w.dir, rec))
			if err != nil {
				t.Fatalf("%s: %v", rec, err)
			}
			if r.Source.Commit != commit {
				t.Errorf("%s is of commit %s", rec, r.Source.Commit)
			}
		}
	})
}

// start starts a step without waiting for it.
func (w *world) start(step string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step))
	cmd.Dir = w.dir
	cmd.Env = w.environ("KILN_SOURCE_SHA=" + sha())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return cmd, &out
}

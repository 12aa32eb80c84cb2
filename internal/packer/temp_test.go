package packer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunPrivateTemp: Packer runs with its own TMPDIR inside the inherited one, removed
// even when Packer is killed and cannot remove its own files (its log copy holds whatever
// provisioners printed).
func TestRunPrivateTemp(t *testing.T) {
	dirT, _ := templates(t)
	var log bytes.Buffer
	r, notes := fakeRunner(t, "leave-temp", &log)
	base := t.TempDir()
	r.Env["TMPDIR"] = base
	r.StopTimeout = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, dirT, BuildArgs(dirT), nil) }()
	var tmp string
	for tmp == "" {
		for _, n := range readNotes(t, notes) {
			if d, ok := strings.CutPrefix(n, "tmp "); ok {
				tmp = d
			}
		}
		select {
		case err := <-done:
			t.Fatalf("Run ended before the fake packer wrote its temp file: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	<-done
	if filepath.Dir(tmp) != base || !strings.HasPrefix(filepath.Base(tmp), "kiln-pk-") {
		t.Errorf("packer's TMPDIR %s is not a private directory in %s", tmp, base)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("packer's TMPDIR %s left behind: %v", tmp, err)
	}
	if r.Env["TMPDIR"] != base {
		t.Errorf("Run changed the Runner's environment: TMPDIR=%s", r.Env["TMPDIR"])
	}
}

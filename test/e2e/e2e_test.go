package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/strategy"
)

// TestLocalPipeline is the whole local pipeline with one bake: the demo, then a failing
// check that blocks the promotion, then demo-clean.
func TestLocalPipeline(t *testing.T) {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-2*time.Minute)) // time left to clean up
		defer cancel()
	}
	w := newWorld(t, ctx)
	t.Cleanup(func() { w.clean(t) })
	defer w.report(t)

	// The demo: validate, bake, deploy-dev, test, promote, destroy-dev; prod keeps running.
	demo := w.run(t, "scripts/demo.sh", filepath.Join(repoRoot, "scripts", "demo.sh"))
	t.Logf("scripts/demo.sh table:\n%s", demo.stdout)
	must(t, "scripts/demo.sh", demo, 0)
	for _, s := range []string{"validate", "bake", "deploy-dev", "test", "promote", "test prod", "destroy-dev"} {
		if !strings.Contains(demo.stdout, s) {
			t.Fatalf("the demo's table lacks %s:\n%s", s, demo.stdout)
		}
	}
	r := w.record(t)
	w.checkImageFiles(t, r.Image.ID)

	// prod answers with the image that was baked and tested.
	var prod []string
	r.output(t, "prod", "addresses", &prod)
	if len(prod) == 0 {
		t.Fatal("prod has no addresses")
	}
	for _, addr := range prod {
		if got := healthImage(t, addr); got != r.Image.Name {
			t.Errorf("prod %s runs image %q, want %q", addr, got, r.Image.Name)
		}
		// The same image as dev, but no way in: root read-only, SSH masked at boot.
		f := facts(t, addr, "ssh")
		// masked-runtime: the kernel command line masks it, for this boot.
		if ssh := f.Services["ssh"]; !f.RootReadOnly || !strings.HasPrefix(ssh.Enabled, "masked") || ssh.Active == "active" {
			t.Errorf("prod %s is not immutable: %+v", addr, f)
		}
	}
	w.checkBlueGreen(t, r)
	w.checkDevGone(t)
	if got := qemuProcesses(filepath.Join(w.dir, "terraform", ".run", "prod") + "/"); len(got) != len(prod) {
		t.Errorf("want %d prod QEMU processes, got %d: %v", len(prod), len(got), got)
	}

	w.failingCheck(t, r)
	w.checkImageFiles(t, r.Image.ID)

	must(t, "scripts/demo-clean.sh", w.run(t, "scripts/demo-clean.sh", filepath.Join(repoRoot, "scripts", "demo-clean.sh")), 0)
	if got := qemuProcesses(w.dir + "/"); len(got) > 0 {
		t.Errorf("QEMU still running after demo-clean: %v", got)
	}
	if others := qemuProcesses("qemu-system"); len(others) > 0 {
		t.Logf("other QEMU processes on this machine (not the test's): %v", others)
	}
}

// failingCheck stops the service in a fresh dev VM: kiln-test must fail naming the check and
// kiln-promote must refuse; once repaired the tests pass and the promotion is a no-op.
func (w *world) failingCheck(t *testing.T, r rec) {
	// Each failing check retries until its timeout: keep them short here.
	for _, d := range []string{"3m", "1m"} {
		w.edit(t, "timeout: "+d, "timeout: 15s")
	}
	must(t, "kiln-deploy-dev", w.kiln(t, "deploy-dev"), 0)
	w.sshRun(t, "systemctl stop kiln-demo")

	res := w.kiln(t, "test")
	must(t, "kiln-test with the service stopped", res, 1)
	if !strings.Contains(res.stdout+res.stderr, "healthz") {
		t.Errorf("kiln-test does not name the failed check healthz: %s", res)
	}
	res = w.kiln(t, "promote")
	must(t, "kiln-promote after failed tests", res, 8)
	if !strings.Contains(res.stderr, "refused") {
		t.Errorf("kiln-promote does not say it refused: %s", res)
	}

	w.sshRun(t, "systemctl start kiln-demo")
	// A change in place: the root file system remounted read-write. The immutable check
	// fails with one line saying so, and passes again once it is undone.
	w.sshRun(t, "mount -o remount,rw /")
	res = w.kiln(t, "test")
	must(t, "kiln-test with the root file system read-write", res, 1)
	if !strings.Contains(res.stdout, "root file system is mounted read-write") {
		t.Errorf("kiln-test does not say the root file system is read-write: %s", res)
	}
	w.sshRun(t, "mount -o remount,ro /")
	must(t, "kiln-test after the repair", w.kiln(t, "test"), 0)
	must(t, "kiln-promote after the repair", w.kiln(t, "promote"), 0)
	var prod []string
	r.output(t, "prod", "addresses", &prod)
	if got := healthImage(t, prod[0]); got != r.Image.Name {
		t.Errorf("prod runs image %q after the second promote, want %q", got, r.Image.Name)
	}
	must(t, "kiln-destroy-dev", w.kiln(t, "destroy-dev"), 0)
	w.checkDevGone(t)
}

// checkBlueGreen checks prod's first promotion with the blue-green strategy: recorded as
// such, on slot blue, the load balancer in front serving the image, and its statistics
// showing blue's two VMs up with traffic and green's absent ones in maintenance.
func (w *world) checkBlueGreen(t *testing.T, r rec) {
	t.Helper()
	if p := r.Promotion; p == nil || p.Strategy == nil || p.Strategy.Type != "blue-green" || p.Strategy.Slot != "blue" || p.Outcome != "promoted" {
		t.Errorf("the record's promotion: %+v, want promoted with blue-green on slot blue", p)
	}
	var addr, stats string
	r.output(t, "prod", "address", &addr)
	r.output(t, "prod", "stats_url", &stats)
	for range 4 {
		if got := healthImage(t, addr); got != r.Image.Name {
			t.Errorf("prod's load balancer %s serves image %q, want %q", addr, got, r.Image.Name)
		}
	}
	resp, err := http.Get(stats)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	servers, err := strategy.ParseCSV(body)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, s := range servers {
		state[s.Name] = s.Status
		if strings.HasPrefix(s.Name, "blue-") && s.Requests == 0 {
			t.Errorf("HAProxy sent %s no request", s.Name)
		}
	}
	for name, want := range map[string]string{"blue-0": "UP", "blue-1": "UP", "green-0": "MAINT", "green-1": "MAINT"} {
		if !strings.HasPrefix(state[name], want) {
			t.Errorf("HAProxy's server %s is %q, want %s (all: %v)", name, state[name], want, state)
		}
	}
}

// checkDevGone fails if a dev VM runs or a dev overlay is left.
func (w *world) checkDevGone(t *testing.T) {
	t.Helper()
	dev := filepath.Join(w.dir, "terraform", ".run", "dev")
	if got := qemuProcesses(dev + "/"); len(got) > 0 {
		t.Errorf("dev QEMU still running after destroy-dev: %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dev, "vm-*")); len(left) > 0 {
		t.Errorf("dev VM files left after destroy-dev: %v", left)
	}
}

// clean stops whatever the test left running.
func (w *world) clean(t *testing.T) {
	if len(qemuProcesses(w.dir+"/")) == 0 {
		return
	}
	w.ctx = context.Background()
	res := w.run(t, "cleanup: scripts/demo-clean.sh", filepath.Join(repoRoot, "scripts", "demo-clean.sh"))
	if res.code != 0 {
		t.Logf("cleanup: %s", res)
	}
}

// report logs how long each command took.
func (w *world) report(t *testing.T) {
	var b strings.Builder
	for _, tm := range w.timings {
		b.WriteString(tm.took.Round(100*time.Millisecond).String() + "\t" + tm.what + "\n")
	}
	t.Logf("timings:\n%s", b.String())
	if p := os.Getenv("KILN_E2E_TIMINGS"); p != "" {
		os.WriteFile(p, []byte(b.String()), 0o644)
	}
}

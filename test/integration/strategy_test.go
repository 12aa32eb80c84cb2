package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/loadgen"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/strategy"
)

// TestStrategies promotes images with blue-green and canary strategies on the bluegreen
// fixture (two kiln-demo slots behind a real HAProxy, all on 127.0.0.1) while vegeta sends
// prod's frontend a steady load, and checks what clients saw:
//   - blue-green of a good image: promoted, 0 failed requests;
//   - an image whose checks fail on the idle slot: never gets a request, 0 failed, exit 1;
//   - canary of an image that answers 500 on 30% of its requests: rolled back at the first
//     step, exit 1, at most the first step's weight x 30% (plus a margin) of requests failed;
//   - blue-green of that image: rolled back by the health watch after the switch, exit 1;
//   - canary of a good image: through both steps to 100%, 0 failed; a second run changes
//     nothing.
//
// The load runs from 0.5 s before each promotion to 0.5 s after it. KILN_ROLLOUT_BENCH=1
// (make bench-rollout) holds each step and the drain 15 s instead of 2 s and the load 5 s
// before and after; every run prints the table. Timings are reported, never asserted.
func TestStrategies(t *testing.T) {
	haproxy := haproxyBinary(t)
	bench := os.Getenv("KILN_ROLLOUT_BENCH") != ""
	hold, steady := "2s", 500*time.Millisecond // each step and drain; the load before and after
	if bench {
		hold, steady = "15s", 5*time.Second
	}
	blueGreen := "  strategy:\n    type: blue-green\n    drain: " + hold + "\n" +
		"    health: {max_error_rate: 0.01, max_p99: 500ms, interval: 250ms}\n"
	canary := "  strategy:\n    type: canary\n    steps: [{weight: 10, pause: " + hold + "}, {weight: 50, pause: " + hold + "}]\n" +
		"    analysis: {max_error_rate: 0.05, min_requests: 5, interval: 250ms}\n"

	w := newStrategyWorld(t, haproxy)
	w.setStrategy(t, blueGreen)
	v1 := w.build(t, "0", "")
	r := must(t, w.dir, "promote", nil)
	if live := w.current(t); live.Live != strategy.Blue || live.Images[strategy.Blue] != v1 {
		t.Fatalf("the first promotion: %+v\n%s", live, r)
	}

	var rows []rolloutRow
	// measured runs kiln-<step> under the steady load, then logs and keeps what the clients
	// saw and what each slot served meanwhile (HAProxy's statistics).
	measured := func(t *testing.T, name, step string) (result, loadgen.Figures, map[string]strategy.Window) {
		t.Helper()
		before := w.servers(t)
		l := startLoad(t, "http://"+w.frontend+"/", steady)
		start := time.Now()
		r := kiln(t, w.dir, step, nil)
		took := time.Since(start)
		seen := l.stop(steady)
		served := map[string]strategy.Window{}
		for slot, s := range w.servers(t) {
			served[slot] = strategy.Delta(before[slot], s)
		}
		t.Logf("%s: exit %d in %s; clients: %s; blue %s; green %s", name, r.code, took.Round(time.Millisecond), seen,
			served[strategy.Blue], served[strategy.Green])
		t.Logf("kiln-%s's report:\n%s", step, r.stdout)
		rows = append(rows, rolloutRow{name, r.code, took, seen})
		return r, seen, served
	}
	scenario := func(name, failRate, failIn, strat string, check func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window)) {
		ok := t.Run(name, func(t *testing.T) {
			w.setStrategy(t, strat)
			id := w.build(t, failRate, failIn)
			r, seen, served := measured(t, name, "promote")
			check(t, id, r, seen, served)
		})
		if !ok {
			t.FailNow() // the next scenario starts from this one's outcome
		}
	}

	var v2 string
	scenario("blue-green good image", "0", "", blueGreen, func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window) {
		v2 = id
		if r.code != 0 {
			t.Fatalf("promote: %s", r)
		}
		if seen.Failed != 0 || seen.Requests == 0 {
			t.Errorf("clients saw %d failed of %d requests, want 0 failed", seen.Failed, seen.Requests)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Green] != id || live.Images[strategy.Blue] != "" {
			t.Errorf("after the promotion: %+v, want green alone with %s", live, id)
		}
		w.wantPromotion(t, id, record.OutcomePromoted, "")
		w.wantFamily(t, id)
		if !strings.Contains(r.stdout, "with blue-green on slot green") || !strings.Contains(r.stdout, "drain") {
			t.Errorf("stdout: %s", r.stdout)
		}
		w.wantServing(t, id)
	})

	scenario("checks fail on the idle slot", "1", "prod", blueGreen, func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window) {
		wantExit(t, r, 1, "error: rolled back: the checks of slot blue failed: check index: ", "GET http://127.0.0.1:", "status 500, want 200", "traffic is on slot green")
		if served[strategy.Blue].Requests != 0 {
			t.Errorf("HAProxy sent the failing slot %d requests, want 0", served[strategy.Blue].Requests)
		}
		if seen.Failed != 0 || seen.Requests == 0 {
			t.Errorf("clients saw %d failed of %d requests, want 0 failed", seen.Failed, seen.Requests)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Green] != v2 || live.Images[strategy.Blue] != "" {
			t.Errorf("after the rollback: %+v, want green alone with %s", live, v2)
		}
		w.wantPromotion(t, id, record.OutcomeRolledBack, "the checks of slot blue")
		w.wantFamily(t, v2)
		w.wantServing(t, v2)
	})

	scenario("canary 30% errors", "0.3", "", canary, func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window) {
		wantExit(t, r, 1, "rolled back: canary step 1 (10%) failed: error rate ")
		if served[strategy.Blue].Errors == 0 {
			t.Errorf("the canary served %s: its failures should show", served[strategy.Blue])
		}
		if bound := 0.10*0.30 + 0.02; seen.Share() > bound {
			t.Errorf("clients saw %d failed of %d requests (%.1f%%), more than 10%% x 30%% + 2%% = %.0f%%",
				seen.Failed, seen.Requests, 100*seen.Share(), 100*bound)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Blue] != "" {
			t.Errorf("after the rollback: %+v, want green alone", live)
		}
		rec := w.wantPromotion(t, id, record.OutcomeRolledBack, "canary step 1 (10%)")
		if ph := rec.Promotion.Strategy.Phases; len(ph) < 2 || ph[1].Name != "step 1" || ph[1].Errors == 0 || ph[1].Status != record.StatusFailed {
			t.Errorf("phases %+v", ph)
		}
		w.wantFamily(t, v2)
		w.wantServing(t, v2)
	})

	scenario("blue-green 30% errors", "0.3", "", blueGreen, func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window) {
		wantExit(t, r, 1, "rolled back: health after the switch failed: error rate ", "traffic is on slot green")
		if served[strategy.Blue].Errors == 0 || seen.Failed == 0 {
			t.Errorf("the new slot served %s and clients saw %d failures: a bad release that took all traffic", served[strategy.Blue], seen.Failed)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Green] != v2 || live.Images[strategy.Blue] != "" {
			t.Errorf("after the rollback: %+v, want green alone with %s", live, v2)
		}
		w.wantPromotion(t, id, record.OutcomeRolledBack, "health after the switch")
		w.wantFamily(t, v2)
		w.wantServing(t, v2)
	})

	scenario("canary good image", "0", "", canary, func(t *testing.T, id string, r result, seen loadgen.Figures, served map[string]strategy.Window) {
		if r.code != 0 {
			t.Fatalf("promote: %s", r)
		}
		if seen.Failed != 0 || served[strategy.Blue].Requests == 0 {
			t.Errorf("clients saw %d failed of %d requests (want 0); the canary served %s", seen.Failed, seen.Requests, served[strategy.Blue])
		}
		if live := w.current(t); live.Live != strategy.Blue || live.Images[strategy.Blue] != id || live.Images[strategy.Green] != "" {
			t.Errorf("after the promotion: %+v, want blue alone with %s", live, id)
		}
		rec := w.wantPromotion(t, id, record.OutcomePromoted, "")
		var steps []string
		for _, ph := range rec.Promotion.Strategy.Phases {
			steps = append(steps, fmt.Sprintf("%s@%d:%s", ph.Name, ph.Weight, ph.Status))
		}
		if got := strings.Join(steps, " "); got != "checks@0:passed step 1@10:passed step 2@50:passed" {
			t.Errorf("phases %s", got)
		}
		w.wantFamily(t, id)
		w.wantServing(t, id)

		// Once more: nothing to do, nothing changes.
		state := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate")
		before, recBefore := readFile(t, state), readFile(t, filepath.Join(w.dir, "kiln-image.json"))
		again := must(t, w.dir, "promote", nil)
		if !strings.Contains(again.stdout, "already promoted") || readFile(t, state) != before ||
			readFile(t, filepath.Join(w.dir, "kiln-image.json")) != recBefore {
			t.Errorf("a second promote changed something: %s", again)
		}
	})

	// kiln-rollback returns the family to v2 through the slots, under the same load: v2 comes
	// up in green, passes the checks, takes all traffic; no request fails.
	t.Run("rollback", func(t *testing.T) {
		w.setStrategy(t, canary)
		r, seen, served := measured(t, "rollback (canary config)", "rollback")
		if r.code != 0 {
			t.Fatalf("rollback: %s", r)
		}
		if seen.Failed != 0 || seen.Requests == 0 {
			t.Errorf("clients saw %d failed of %d requests, want 0 failed", seen.Failed, seen.Requests)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Green] != v2 || live.Images[strategy.Blue] != "" {
			t.Errorf("after the rollback: %+v, want green alone with %s", live, v2)
		}
		if served[strategy.Green].Requests == 0 {
			t.Errorf("green served nothing after the rollback: %s", served[strategy.Green])
		}
		if !strings.Contains(r.stdout, "on slot green (canary)") || !strings.Contains(r.stdout, "checks") || strings.Contains(r.stdout, "step 1") {
			t.Errorf("stdout (a rollback skips the canary's steps): %s", r.stdout)
		}
		w.wantFamily(t, v2)
		w.wantServing(t, v2)

		// kiln-drift plans prod at rest on the slot that serves (green): in sync. With the
		// variables' defaults it would plan blue and find drift.
		d := kiln(t, w.dir, "drift", nil, "--environment", "prod")
		if d.code != 0 || !strings.Contains(d.stdout, "prod: in sync") {
			t.Errorf("kiln-drift after the rollback to green: %s", d)
		}
	})

	// kiln-promote stopped (SIGTERM) during the drain leaves the new image serving on blue
	// and v2 on green, with the family still on v2. A plain kiln-rollback then returns prod
	// to the family's current image v2 (never to the one before it), under load, and
	// removes blue; the family pointer does not move.
	t.Run("rollback after an interrupted promotion", func(t *testing.T) {
		w.setStrategy(t, "  strategy:\n    type: blue-green\n    drain: 5m\n    health: {max_error_rate: 0.01, interval: 250ms}\n")
		v3 := w.build(t, "0", "")
		cmd := kilnCommand(w.dir, "promote")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for live, err := w.readCurrent(); err != nil || live.Live != strategy.Blue || live.Images[strategy.Blue] != v3; live, err = w.readCurrent() {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("kiln-promote never switched to blue:\n%s", stderr.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(time.Second) // into the drain
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err == nil {
			t.Fatalf("kiln-promote exited 0 after SIGTERM during the drain:\n%s", stderr.String())
		}
		live := w.current(t)
		if live.Live != strategy.Blue || live.Images[strategy.Blue] != v3 || live.Images[strategy.Green] != v2 {
			t.Fatalf("after the interrupted promotion: %+v, want blue serving %s next to green with %s", live, v3, v2)
		}
		w.wantFamily(t, v2)

		w.setStrategy(t, blueGreen) // the rollback's drain: the usual one
		r, seen, _ := measured(t, "rollback, promotion cut short", "rollback")
		if r.code != 0 {
			t.Fatalf("rollback: %s", r)
		}
		if !strings.Contains(r.stderr, "not the family's current image "+v2+" (an interrupted rollout): returning to "+v2) ||
			!strings.Contains(r.stdout, "returned prod to family demo-web's current image "+v2) {
			t.Errorf("kiln-rollback does not say it returns to the current image: %s", r)
		}
		if seen.Failed != 0 || seen.Requests == 0 {
			t.Errorf("clients saw %d failed of %d requests, want 0 failed", seen.Failed, seen.Requests)
		}
		if live := w.current(t); live.Live != strategy.Green || live.Images[strategy.Green] != v2 || live.Images[strategy.Blue] != "" {
			t.Errorf("after the rollback: %+v, want green alone with %s", live, v2)
		}
		w.wantFamily(t, v2)
		w.wantServing(t, v2)
		// Settled: another kiln-rollback --to v2 has nothing to do.
		if again := kiln(t, w.dir, "rollback", nil, "--to", v2); again.code != 0 || !strings.Contains(again.stdout+again.stderr, "already points to") {
			t.Errorf("kiln-rollback --to the current image once settled: %s", again)
		}
	})

	var table strings.Builder
	fmt.Fprintf(&table, "\n%-30s %5s %9s %9s %7s %8s %8s\n", "scenario", "exit", "promote", "requests", "failed", "p50", "p99")
	for _, row := range rows {
		fmt.Fprintf(&table, "%-30s %5d %9s %9d %7d %8s %8s\n", row.name, row.code, row.took.Round(100*time.Millisecond),
			row.seen.Requests, row.seen.Failed, row.seen.P50.Round(10*time.Microsecond), row.seen.P99.Round(10*time.Microsecond))
	}
	t.Log(table.String())
}

// copyBlueGreen copies the bluegreen fixture to dir, with the local example's HAProxy
// module as its terraform/haproxy.
func copyBlueGreen(t *testing.T, dir string) {
	t.Helper()
	copyDir(t, filepath.Join("testdata", "bluegreen"), dir)
	copyDir(t, filepath.Join(repoRoot, "examples", "local", "terraform", "haproxy"), filepath.Join(dir, "terraform", "haproxy"))
}

// haproxyBinary finds HAProxy, or skips the test (fails it under KILN_REQUIRE_TOOLS).
func haproxyBinary(t *testing.T) string {
	t.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		haproxy, err = exec.LookPath("/usr/sbin/haproxy") // Debian's, off a user's PATH
	}
	if err != nil {
		if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
			t.Fatal("haproxy is not installed (bash scripts/ci-tools.sh haproxy)")
		}
		t.Skip("haproxy is not installed (bash scripts/ci-tools.sh haproxy)")
	}
	return haproxy
}

type rolloutRow struct {
	name string
	code int
	took time.Duration
	seen loadgen.Figures
}

// strategyWorld is a copy of the bluegreen fixture: dev is one slot without a load
// balancer, prod two slots behind HAProxy on 127.0.0.1:<frontend>.
type strategyWorld struct {
	dir, template string
	frontend      string // prod's HAProxy frontend, host:port
	builds        int
}

func newStrategyWorld(t *testing.T, haproxy string) *strategyWorld {
	t.Helper()
	w := &strategyWorld{dir: t.TempDir()}
	copyBlueGreen(t, w.dir)
	demo := filepath.Join(t.TempDir(), "kiln-demo")
	build := exec.Command("go", "build", "-o", demo, "./examples/local/app")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kiln-demo: %v\n%s", err, out)
	}
	dev, prod := freeBase(t), freeBase(t)
	w.frontend = "127.0.0.1:" + strconv.Itoa(prod+2)
	cfg := readFile(t, filepath.Join(w.dir, "kiln.yaml"))
	for k, v := range map[string]string{"${DEV_BASE_PORT}": strconv.Itoa(dev), "${PROD_BASE_PORT}": strconv.Itoa(prod),
		"${DEMO_BIN}": demo, "${HAPROXY}": haproxy} {
		cfg = strings.ReplaceAll(cfg, k, v)
	}
	w.template = cfg
	t.Cleanup(func() { stopFixture(t, filepath.Join(w.dir, "terraform", ".run")) })
	return w
}

// setStrategy writes kiln.yaml with promote block strat.
func (w *strategyWorld) setStrategy(t *testing.T, strat string) {
	t.Helper()
	cfg := readFile(t, filepath.Join(w.dir, "kiln.yaml"))
	if i := strings.Index(cfg, "promote:\n"); i >= 0 {
		cfg = cfg[:i]
	} else {
		cfg = strings.ReplaceAll(strings.ReplaceAll(w.template, "${FAIL_RATE}", "0"), "${FAIL_IN}", "")
	}
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg+"promote:\n"+strat)
}

// build bakes an image that fails failRate of its requests (in workspace failIn, or in
// every one), deploys it to dev and tests it there; it returns its id.
func (w *strategyWorld) build(t *testing.T, failRate, failIn string) string {
	t.Helper()
	path := filepath.Join(w.dir, "kiln.yaml")
	cfg := readFile(t, path)
	i := strings.Index(cfg, "    fail_rate:")
	j := strings.Index(cfg, "environments:")
	cfg = cfg[:i] + fmt.Sprintf("    fail_rate: %q\n    fail_in: %q\n", failRate, failIn) + cfg[j:]
	writeFile(t, path, cfg)
	w.builds++
	env := map[string]string{"KILN_SOURCE_SHA": fmt.Sprintf("%040x", w.builds)}
	must(t, w.dir, "bake", env)
	must(t, w.dir, "deploy-dev", env)
	must(t, w.dir, "test", env)
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rec.Image.ID
}

// current reads prod's outputs from its Terraform state.
func (w *strategyWorld) current(t *testing.T) strategy.Current {
	t.Helper()
	c, err := w.readCurrent()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readCurrent reads prod's slots from its state file (which a running apply may be
// rewriting: then it is an error).
func (w *strategyWorld) readCurrent() (strategy.Current, error) {
	var st struct {
		Outputs map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"outputs"`
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod", "terraform.tfstate"))
	if err != nil {
		return strategy.Current{}, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return strategy.Current{}, err
	}
	outs := strategy.Outputs{}
	for k, o := range st.Outputs {
		outs[k] = o.Value
	}
	return strategy.Read(outs)
}

// servers reads the slots' lines of prod's HAProxy statistics.
func (w *strategyWorld) servers(t *testing.T) map[string]strategy.Server {
	t.Helper()
	c := w.current(t)
	resp, err := http.Get(c.StatsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	servers, err := strategy.ParseCSV([]byte(readAll(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]strategy.Server{}
	for _, s := range servers {
		if s.Backend == c.StatsBackend {
			out[s.Name] = s
		}
	}
	return out
}

// wantPromotion checks the record's promotion of id: its outcome and failed gate.
func (w *strategyWorld) wantPromotion(t *testing.T, id, outcome, gate string) *record.Record {
	t.Helper()
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Promotion
	if p == nil || p.ImageID != id || p.Outcome != outcome || p.Strategy == nil || p.Strategy.Gate != gate {
		t.Fatalf("the record's promotion: %+v, want %s of %s (gate %q)", p, outcome, id, gate)
	}
	env := readFile(t, filepath.Join(w.dir, "kiln.env"))
	if promoted := strings.Contains(env, "KILN_PROMOTED_ENVIRONMENT=prod"); promoted != (outcome == record.OutcomePromoted) {
		t.Errorf("kiln.env after %s:\n%s", outcome, env)
	}
	return rec
}

// wantFamily checks that the family pointer names id.
func (w *strategyWorld) wantFamily(t *testing.T, id string) {
	t.Helper()
	family := readFile(t, filepath.Join(w.dir, ".kiln", "images", "families", "demo-web.json"))
	if !strings.Contains(family, `"current": "`+id+`"`) {
		t.Errorf("the family pointer does not name %s:\n%s", id, family)
	}
}

// wantServing checks that prod's frontend answers with image id.
func (w *strategyWorld) wantServing(t *testing.T, id string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		resp, err := http.Get("http://" + w.frontend + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		resp.Body.Close()
		if !strings.Contains(body, `"image":"`+id+`"`) {
			t.Fatalf("prod answers %s, want image %s", body, id)
		}
	}
}

// load is loadgen's steady load at 50 requests per second (at most 10 minutes), started
// steady before the promotion and stopped steady after it.
type load struct {
	l      *loadgen.Load
	steady time.Duration
}

func startLoad(t *testing.T, url string, steady time.Duration) *load {
	t.Helper()
	l := &load{l: loadgen.Start(url, 50, 10*time.Minute), steady: steady}
	t.Cleanup(func() { l.l.Stop() })
	time.Sleep(steady)
	return l
}

// stop ends the load after steady more of it and returns what the clients saw.
func (l *load) stop(steady time.Duration) loadgen.Figures {
	time.Sleep(steady)
	return l.l.Stop()
}

// freeBase returns a port p such that p..p+4 are free on 127.0.0.1.
func freeBase(t *testing.T) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if base+4 > 65535 {
			continue
		}
		free := true
		for p := base; p <= base+4 && free; p++ {
			c, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				continue
			}
			c.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no 5 consecutive free ports on 127.0.0.1")
	return 0
}

// stopFixture stops the processes the fixture started under dir: each slot's kiln-demo and
// the HAProxy, by their pid files.
func stopFixture(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmdline), dir) || strings.Contains(string(cmdline), filepath.Dir(f)) {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestStrategyContract: a strategy on a configuration without the slot variables and
// outputs is refused before anything is applied (exit 2, naming what is missing).
func TestStrategyContract(t *testing.T) {
	w := newWorld(t)
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), w.template+"promote:\n  strategy:\n    type: canary\n    steps: [{weight: 10, pause: 1s}]\n")
	for _, s := range []string{"bake", "deploy-dev", "test"} {
		must(t, w.dir, s, nil)
	}
	r := kiln(t, w.dir, "promote", nil)
	wantExit(t, r, 2, "kiln.yaml:", "promote.strategy: canary strategy: prod (terraform/) lacks variable live_slot, variable image_blue, "+
		"variable image_green, variable weight_green, output live_slot, output slot_images, output slot_outputs (see docs/strategies.md)")
	if _, err := os.Stat(filepath.Join(w.dir, "terraform", "terraform.tfstate.d", "prod")); err == nil {
		t.Error("prod was applied")
	}
}

package chaos

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
	"github.com/kiln-ci/kiln/internal/testkit"
)

// The signals a cancel sends.
const (
	sigINT   = "SIGINT"
	sigTERM  = "SIGTERM"
	sigKILL  = "SIGKILL"
	groupKIL = "SIGKILL group"
)

var signals = []string{sigINT, sigTERM, sigKILL, groupKIL}

// The steps cancelled, in turn.
var kinds = []string{"bake", "deploy-dev", "destroy-dev", "promote", "rollback"}

// slow is a provisioner's command: a child that would outlive an interrupted provisioner
// (a VM's boot script), then two seconds of work; the child is stopped on success.
const slow = "sleep 120 >/dev/null 2>&1 & p=$!; sleep 2; kill $p"

const jobToken = "glcbt-64_chaos-job-token-0001"

// world is one workspace: the fast fixture with slow provisioners, Vault with AppRole,
// Terraform state in the GitLab state fake.
type world struct {
	dir, tmp string
	vault    *vaulttest.Server
	state    *gitlabtest.StateFake
	env      map[string]string
	promoted []string                 // image ids promoted, oldest first
	took     map[string]time.Duration // each step's last whole run
}

func newWorld(t *testing.T) *world {
	w := &world{dir: t.TempDir(), took: map[string]time.Duration{}}
	w.tmp = filepath.Join(w.dir, ".tmp")
	if err := os.MkdirAll(w.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Bool
	ok.Store(true)
	dev, prod := testkit.Service(t, &ok), testkit.Service(t, &ok)
	testkit.CopyDir(t, filepath.Join(repoRoot, "test", "integration", "testdata", "fast"), w.dir)

	w.vault = vaulttest.Start(t)
	w.vault.KV2(t, "kv", "ci/app", map[string]any{"password": "chaos-" + strconv.Itoa(rand.IntN(1e9)), "db": "postgres://u:p" + strconv.Itoa(rand.IntN(1e9)) + "@db/app"})
	w.vault.Policy(t, "kiln-read", `path "kv/data/ci/*" { capabilities = ["read"] }`)
	roleID, secretID := w.vault.AppRole(t, "approle", "kiln", "kiln-read", "default")
	w.state = gitlabtest.NewStateFake(t, jobToken)

	steps := "[bake, test, deploy-dev, promote, destroy-dev, rollback, sweep]"
	backend := func(name string) string {
		base := w.state.URL + "/projects/42/terraform/state/" + name
		return "    workspace: default\n    backend_config:\n" +
			"      address: " + base + "\n      lock_address: " + base + "/lock\n      unlock_address: " + base + "/lock\n" +
			"      lock_method: POST\n      unlock_method: DELETE\n      username: gitlab-ci-token\n      password: " + jobToken + "\n"
	}
	cfg := testkit.ReadFile(t, filepath.Join(w.dir, "kiln.yaml"))
	cfg = strings.ReplaceAll(cfg, "${DEV_PORT}", testkit.Port(t, dev))
	cfg = strings.ReplaceAll(cfg, "${PROD_PORT}", testkit.Port(t, prod))
	cfg = strings.Replace(cfg, "    terraform: terraform/\n", "    terraform: terraform/\n"+backend("dev"), 1)
	i := strings.LastIndex(cfg, "    terraform: terraform/\n")
	cfg = cfg[:i] + "    terraform: terraform/\n" + backend("prod") + cfg[i+len("    terraform: terraform/\n"):]
	cfg += "vault:\n  auth:\n    method: approle\n  secrets:\n" +
		"    - { env: APP_PASSWORD, path: kv/data/ci/app, field: password, steps: " + steps + " }\n" +
		"    - { env: DB_URL_FILE, path: kv/data/ci/app, field: db, file: true, tf_var: db_url_file, steps: " + steps + " }\n" +
		"    - { env: DB_URL, path: kv/data/ci/app, field: db, tf_var: db_url, steps: " + steps + " }\n"
	testkit.WriteFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)

	tmpl := filepath.Join(w.dir, "packer", "image.pkr.hcl")
	testkit.WriteFile(t, tmpl, strings.Replace(testkit.ReadFile(t, tmpl), "  sources = [\"source.file.image\"]\n",
		"  sources = [\"source.file.image\"]\n\n  provisioner \"shell-local\" {\n    inline = [\""+slow+"\"]\n  }\n", 1))
	mainTF := filepath.Join(w.dir, "terraform", "main.tf")
	tf := testkit.ReadFile(t, mainTF)
	tf = "terraform {\n  backend \"http\" {}\n}\n\nvariable \"db_url\" {\n  type      = string\n  sensitive = true\n}\n\nvariable \"db_url_file\" {\n  type = string\n}\n\n" + tf
	tf = strings.Replace(tf, "  input = var.image_id\n", "  input            = var.image_id\n  triggers_replace = [var.image_id]\n\n"+
		"  provisioner \"local-exec\" {\n    command = \""+slow+"\"\n  }\n", 1)
	testkit.WriteFile(t, mainTF, tf)

	w.env = map[string]string{
		"PATH":               "/usr/local/bin:/usr/bin:/bin",
		"HOME":               filepath.Join(w.dir, ".home"),
		"TMPDIR":             w.tmp,
		"KILN_TERRAFORM":     terraform,
		"KILN_PACKER":        packer,
		"KILN_SOURCE_REF":    "master",
		"KILN_TOOLS_OFFLINE": "1",
		"KILN_STOP_TIMEOUT":  "20s",
		"VAULT_ADDR":         w.vault.Addr,
		"VAULT_ROLE_ID":      roleID,
		"VAULT_SECRET_ID":    secretID,
	}
	return w
}

func (w *world) environ(extra ...string) []string {
	var out []string
	for k, v := range w.env {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}

// run runs a step to its end.
func (w *world) run(step string, args ...string) (int, string) {
	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step), args...)
	cmd.Dir = w.dir
	cmd.Env = w.environ("KILN_SOURCE_SHA=" + sha())
	began := time.Now()
	out, err := cmd.CombinedOutput()
	w.took[step] = time.Since(began)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return -1, err.Error()
	}
	return code, string(out)
}

func (w *world) must(t *testing.T, step string, args ...string) string {
	t.Helper()
	code, out := w.run(step, args...)
	if code != 0 {
		t.Fatalf("kiln-%s %v: exit %d\n%s", step, args, code, out)
	}
	return out
}

var shaN atomic.Int64

// sha is a new commit per run, so that each bake is a new image.
func sha() string { return fmt.Sprintf("%040x", 0xc0ffee0000+shaN.Add(1)) }

// prepare brings the workspace to where step has something to do.
func (w *world) prepare(t *testing.T, step string) {
	switch step {
	case "deploy-dev":
		w.must(t, "bake")
	case "destroy-dev":
		w.must(t, "deploy-dev")
	case "promote":
		w.must(t, "bake")
		w.must(t, "deploy-dev")
		w.must(t, "test")
	case "rollback":
		for len(w.promoted) < 2 {
			w.prepare(t, "promote")
			w.must(t, "promote")
			w.promoted = append(w.promoted, w.imageID(t))
		}
	}
}

// args are step's arguments: rollback alternates between the two images promoted last.
func (w *world) args(step string, n int) []string {
	if step != "rollback" {
		return nil
	}
	return []string{"--to", w.promoted[len(w.promoted)-1-n%2]}
}

func (w *world) imageID(t *testing.T) string {
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rec.Image.ID
}

// outcome is what one cancel left.
type outcome struct {
	kind, signal     string
	landed           bool // the step was still running when the signal came
	exit             int
	processes        int // of the cancelled run, once it and its supervisor ended
	tempDirs         int // private directories of the cancelled run
	claims           int
	locks            int // state locks held
	tokens           int // Vault tokens not revoked
	partial          bool
	swept            bool // kiln-sweep --apply had something to remove
	sweepLeft        int  // what was left after kiln-sweep --apply
	nextFailed       bool
	elapsed          time.Duration
	problems         []string
	out, sweepOutput string
}

func TestChaos(t *testing.T) {
	runs := 6
	if s := os.Getenv("KILN_CHAOS_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("KILN_CHAOS_RUNS=%q: want a positive number", s)
		}
		runs = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KILN_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d (KILN_CHAOS_SEED reproduces the run)", seed)
	w := newWorld(t)
	start := time.Now()
	var all []outcome
	for i := 0; i < runs; i++ {
		kind := kinds[i%len(kinds)]
		sig := signals[(i/len(kinds))%len(signals)] // each step gets each signal in turn
		w.prepare(t, kind)
		// A moment within the step's last whole run (3 s before one was timed).
		span := 3 * time.Second
		if d, ok := w.took[kind]; ok {
			span = d * 9 / 10
		}
		o := w.cancel(t, kind, sig, w.args(kind, i), time.Duration(rng.Int64N(int64(span))))
		all = append(all, o)
		for _, p := range o.problems {
			t.Errorf("cancel %d (%s, %s after %s): %s\nstep output:\n%s\nsweep output:\n%s", i+1, kind, sig, o.elapsed, p, o.out, o.sweepOutput)
		}
	}
	t.Log("\n" + table(all, time.Since(start)))
}

// cancel starts step, sends sig after delay, and checks what it left.
func (w *world) cancel(t *testing.T, step, sig string, args []string, delay time.Duration) outcome {
	o := outcome{kind: step, signal: sig}
	recPath, envPath := filepath.Join(w.dir, "kiln-image.json"), filepath.Join(w.dir, "kiln.env")
	oldRec, _ := os.ReadFile(recPath)
	oldEnv, _ := os.ReadFile(envPath)
	tokensBefore := w.tokens(t)

	cmd := exec.Command(filepath.Join(binDir, "kiln-"+step), args...)
	cmd.Dir = w.dir
	cmd.Env = w.environ("KILN_SOURCE_SHA=" + sha())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a runner starts a job
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	runID := owner.ProcessID(pid)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	began := time.Now()
	var err error
	select {
	case err = <-exited:
	case <-time.After(delay):
		o.landed = true
		send(pid, sig)
		err = <-exited
	}
	o.elapsed = time.Since(began)
	o.out = out.String()
	if ee, ok := err.(*exec.ExitError); ok {
		o.exit = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			o.exit = 128 + int(ws.Signal())
		}
	}
	killed := o.landed && (sig == sigKILL || sig == groupKIL)
	switch {
	case !o.landed && o.exit != 0:
		o.problems = append(o.problems, fmt.Sprintf("finished before the signal with exit %d", o.exit))
	case o.landed && sig == sigINT && o.exit != 130 && o.exit != 0:
		o.problems = append(o.problems, fmt.Sprintf("exit %d after SIGINT, want 130", o.exit))
	case o.landed && sig == sigTERM && o.exit != 143 && o.exit != 0:
		o.problems = append(o.problems, fmt.Sprintf("exit %d after SIGTERM, want 143", o.exit))
	}

	// Once kiln is gone, its supervisors stop their tools (a SIGKILL gives them no other
	// way); what is left of the run after that is a leftover.
	deadline := time.Now().Add(60 * time.Second)
	for len(runProcesses(runID, true)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	procs := runProcesses(runID, false)
	o.processes = len(procs)
	o.tempDirs = len(glob(filepath.Join(w.tmp, fmt.Sprintf("kiln-*-%d-*", pid))))
	o.claims = len(glob(filepath.Join(owner.ClaimDirIn(w.tmp), "claim-"+runID+"-*")))
	for _, name := range []string{"dev", "prod"} {
		if w.state.Locked(name) {
			o.locks++
		}
	}
	o.tokens = w.tokens(t) - tokensBefore
	o.partial = partial(oldRec, recPath, oldEnv, envPath)
	if o.partial {
		o.problems = append(o.problems, "the record or kiln.env is neither the old nor a whole new version")
	}
	if o.locks > 0 {
		o.problems = append(o.problems, fmt.Sprintf("%d state lock(s) held after the run ended", o.locks))
	}
	if !killed {
		if o.processes > 0 {
			o.problems = append(o.problems, fmt.Sprintf("processes of the run left: %v", procs))
		}
		if o.tempDirs > 0 || o.claims > 0 {
			o.problems = append(o.problems, fmt.Sprintf("%d private directories and %d claims left", o.tempDirs, o.claims))
		}
		if o.tokens > 0 {
			o.problems = append(o.problems, fmt.Sprintf("%d Vault token(s) not revoked", o.tokens))
		}
	} else {
		code, sweepOut := w.run("sweep", "--apply")
		o.sweepOutput = sweepOut
		o.swept = !strings.Contains(sweepOut, "nothing to sweep")
		if code != 0 {
			o.problems = append(o.problems, fmt.Sprintf("kiln-sweep --apply exited %d", code))
		}
		o.sweepLeft = len(runProcesses(runID, false)) + len(glob(filepath.Join(w.tmp, fmt.Sprintf("kiln-*-%d-*", pid)))) +
			len(glob(filepath.Join(owner.ClaimDirIn(w.tmp), "claim-"+runID+"-*")))
		if o.sweepLeft > 0 {
			o.problems = append(o.problems, fmt.Sprintf("%d leftovers after kiln-sweep --apply", o.sweepLeft))
		}
	}
	// The pipeline goes on: the step runs again on the same workspace and succeeds.
	if code, out := w.run(step, args...); code != 0 {
		o.nextFailed = true
		o.problems = append(o.problems, fmt.Sprintf("the next kiln-%s exited %d:\n%s", step, code, out))
	}
	return o
}

// send sends a cancel: sig to kiln, or SIGKILL to its whole process group (it was started
// in a group of its own, as a runner starts a job).
func send(pid int, sig string) {
	switch sig {
	case sigINT:
		_ = syscall.Kill(pid, syscall.SIGINT)
	case sigTERM:
		_ = syscall.Kill(pid, syscall.SIGTERM)
	case sigKILL:
		_ = syscall.Kill(pid, syscall.SIGKILL)
	case groupKIL:
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// runProcesses lists the processes carrying run's labels; with supervisors, only whether a
// supervisor or kiln itself still runs.
func runProcesses(run string, supervisors bool) []string {
	var out []string
	for _, p := range owner.Processes() {
		if p.Run.ID != run || supervisors && !p.Supervisor {
			continue
		}
		out = append(out, fmt.Sprintf("%d(%s)", p.PID, p.Command))
	}
	if supervisors && owner.Alive(run) {
		out = append(out, "kiln")
	}
	return out
}

// partial reports whether the record or kiln.env is neither its old content nor a whole
// new version (a record whose digest checks; a kiln.env naming the record's image).
func partial(oldRec []byte, recPath string, oldEnv []byte, envPath string) bool {
	rec, _ := os.ReadFile(recPath)
	env, _ := os.ReadFile(envPath)
	var id string
	if !bytes.Equal(rec, oldRec) {
		r, err := record.Decode(rec, recPath)
		if err != nil {
			return true
		}
		id = r.Image.ID
	}
	if bytes.Equal(env, oldEnv) {
		return false
	}
	if id == "" {
		if r, err := record.Decode(rec, recPath); err == nil {
			id = r.Image.ID
		}
	}
	return !strings.Contains(string(env), "KILN_IMAGE_ID="+id+"\n")
}

// tokens counts Vault's token accessors.
func (w *world) tokens(t *testing.T) int {
	s, err := w.vault.Client(t).Logical().List("auth/token/accessors")
	if err != nil || s == nil {
		t.Fatalf("list token accessors: %v", err)
	}
	keys, _ := s.Data["keys"].([]any)
	return len(keys)
}

func glob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

// table summarizes the outcomes per step and signal.
func table(all []outcome, took time.Duration) string {
	type row struct{ cancels, landed, procs, dirs, locks, tokens, partial, sweeps, left, next int }
	rows := map[string]*row{}
	for _, o := range all {
		k := fmt.Sprintf("%-12s %-14s", o.kind, o.signal)
		r := rows[k]
		if r == nil {
			r = &row{}
			rows[k] = r
		}
		r.cancels++
		if o.landed {
			r.landed++
		}
		r.procs += o.processes
		r.dirs += o.tempDirs + o.claims
		r.locks += o.locks
		r.tokens += o.tokens
		if o.partial {
			r.partial++
		}
		if o.swept {
			r.sweeps++
		}
		r.left += o.sweepLeft
		if o.nextFailed {
			r.next++
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %-14s %7s %6s %9s %9s %5s %6s %7s %6s %10s %11s\n", "step", "signal", "cancels", "landed",
		"processes", "temp dirs", "locks", "tokens", "partial", "sweeps", "after sweep", "next failed")
	var tot row
	for _, k := range keys {
		r := rows[k]
		fmt.Fprintf(&b, "%s %7d %6d %9d %9d %5d %6d %7d %6d %10d %11d\n", k, r.cancels, r.landed, r.procs, r.dirs, r.locks, r.tokens, r.partial, r.sweeps, r.left, r.next)
		tot.cancels += r.cancels
		tot.landed += r.landed
		tot.procs += r.procs
		tot.dirs += r.dirs
		tot.locks += r.locks
		tot.tokens += r.tokens
		tot.partial += r.partial
		tot.sweeps += r.sweeps
		tot.left += r.left
		tot.next += r.next
	}
	fmt.Fprintf(&b, "%-27s %7d %6d %9d %9d %5d %6d %7d %6d %10d %11d\n", "total", tot.cancels, tot.landed, tot.procs, tot.dirs, tot.locks, tot.tokens, tot.partial, tot.sweeps, tot.left, tot.next)
	fmt.Fprintf(&b, "(processes, temp dirs and tokens after SIGKILL are what kiln-sweep or the token TTL takes care of; %s in all)\n", took.Round(time.Second))
	return b.String()
}

package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// config is a Terraform configuration that needs no provider: terraform_data is built in.
const config = `terraform {
  backend "local" {}
}

variable "image_id" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "hold" {
  type    = string
  default = ""
}

resource "terraform_data" "vm" {
  input = var.image_id
}

resource "terraform_data" "hold" {
  count = var.hold == "" ? 0 : 1
  provisioner "local-exec" {
    # the sleep is the shell's child, not Terraform's: Terraform kills only the shell
    command = "sleep 300 & echo $! > ${var.hold}.pid && mv ${var.hold}.pid ${var.hold}; wait"
  }
}

output "image" {
  value = terraform_data.vm.output
}

output "team" {
  value = var.tags["team"]
}

output "token" {
  value     = "s3cret-${var.image_id}"
  sensitive = true
}
`

// terraformBinary returns the project's Terraform, skipping the test when it is missing
// unless KILN_REQUIRE_TOOLS is set.
func terraformBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, ".tools", "bin", "terraform")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
		t.Fatal(".tools/bin/terraform is missing and KILN_REQUIRE_TOOLS is set (run make tools)")
	}
	t.Skip(".tools/bin/terraform is missing (scripts/tools.sh builds it)")
	return ""
}

// world is a Terraform working directory, its private files and the TF that runs it.
type world struct {
	dir, private, stateDir string
	log                    *bytes.Buffer
	tf                     *TF
	plan                   string
}

func newWorld(t *testing.T, vars map[string]any) *world {
	t.Helper()
	exe := terraformBinary(t)
	w := &world{dir: t.TempDir(), private: t.TempDir(), log: &bytes.Buffer{}}
	w.stateDir = filepath.Join(w.private, "states")
	w.plan = filepath.Join(w.private, "kiln.tfplan")
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	// The inherited environment of a careless CI: logs on, arguments injected, a CLI
	// config that does not exist; none of it may reach Terraform's parsed output.
	env, tfVars := BuildEnv([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + w.private,
		"TF_LOG=trace", "TF_CLI_ARGS=-lock=false", "TF_CLI_ARGS_plan=-refresh=false",
		"TF_CLI_CONFIG_FILE=" + filepath.Join(w.private, "missing.tfrc"),
		`TF_VAR_tags={"team": "web"}`,
	}, map[string]string{"KILN_ENVIRONMENT": "dev"})
	for k, v := range vars {
		tfVars[k] = v
	}
	varFile, err := WriteVarFile(w.private, "kiln", tfVars)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := WriteBackendFile(w.private, map[string]string{
		"path":          filepath.Join(w.stateDir, "default.tfstate"),
		"workspace_dir": w.stateDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.tf, err = New(Options{
		Exec: exe, Dir: w.dir, DataDir: filepath.Join(w.private, "data"), Workspace: "dev",
		Env: env, VarFiles: []string{varFile}, BackendFile: backend,
		StopTimeout: time.Minute, Log: w.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestTerraform(t *testing.T) {
	const image = "local:sha256:ab12"
	w := newWorld(t, map[string]any{"image_id": image})
	ctx := context.Background()
	if err := w.tf.Init(ctx, true); err != nil {
		t.Fatalf("Init: %v\n%s", err, w.log)
	}
	if existed, err := w.tf.Workspace(ctx, false); existed || err != nil {
		t.Fatalf("Workspace(no create) = %v, %v; want false, nil", existed, err)
	}
	if existed, err := w.tf.Workspace(ctx, true); existed || err != nil {
		t.Fatalf("Workspace(create) = %v, %v; want false, nil", existed, err)
	}
	if existed, err := w.tf.Workspace(ctx, true); !existed || err != nil {
		t.Fatalf("Workspace again = %v, %v; want true, nil", existed, err)
	}
	if n, err := w.tf.StateResources(ctx); n != 0 || err != nil {
		t.Fatalf("StateResources before apply = %d, %v", n, err)
	}

	changes, err := w.tf.Plan(ctx, w.plan)
	if err != nil || !changes {
		t.Fatalf("Plan = %v, %v; want changes\n%s", changes, err, w.log)
	}
	if err := w.tf.ApplyPlan(ctx, w.plan); err != nil {
		t.Fatalf("ApplyPlan: %v\n%s", err, w.log)
	}
	// The local backend keeps a workspace's state in workspace_dir/<name>/terraform.tfstate.
	state := filepath.Join(w.stateDir, "dev", "terraform.tfstate")
	if _, err := os.Stat(state); err != nil {
		t.Errorf("the backend file's settings were not used: %v", err)
	}

	outs, err := w.tf.Outputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(outs["image"].Value); got != `"`+image+`"` {
		t.Errorf("output image = %s", got)
	}
	if got := string(outs["team"].Value); got != `"web"` {
		t.Errorf("output team = %s (TF_VAR_tags did not reach Terraform)", got)
	}
	if tok, ok := outs["token"]; !ok || !tok.Sensitive || tok.Value != nil {
		t.Errorf("output token = %+v, want sensitive without a value", tok)
	}
	if strings.Contains(w.log.String(), "s3cret") {
		t.Error("the sensitive value reached the log")
	}
	if strings.Contains(w.log.String(), "[TRACE]") {
		t.Error("TF_LOG reached Terraform")
	}
	if n, err := w.tf.StateResources(ctx); n != 1 || err != nil {
		t.Errorf("StateResources = %d, %v; want 1", n, err)
	}
	if changes, err := w.tf.Plan(ctx, w.plan); changes || err != nil {
		t.Errorf("second Plan = %v, %v; want no changes", changes, err)
	}

	t.Run("held lock", func(t *testing.T) {
		release := holdLock(t, state, "8d3b5a4e-held-by-test", "ci-runner-7@build-host")
		defer release()
		_, err := w.tf.Plan(ctx, w.plan)
		var le *LockError
		if !errors.As(err, &le) || exitcode.Of(err) != exitcode.Locked {
			t.Fatalf("Plan under a held lock: %v, want a *LockError with exit code 3", err)
		}
		if le.ID != "8d3b5a4e-held-by-test" || le.Who != "ci-runner-7@build-host" || le.Operation != "OperationTypeApply" {
			t.Errorf("lock error %+v", le)
		}
	})

	if err := w.tf.Destroy(ctx); err != nil {
		t.Fatalf("Destroy: %v\n%s", err, w.log)
	}
	if n, err := w.tf.StateResources(ctx); n != 0 || err != nil {
		t.Errorf("StateResources after destroy = %d, %v; want 0", n, err)
	}
}

// TestTerraformError checks that Terraform's own error becomes the one line.
func TestTerraformError(t *testing.T) {
	w := newWorld(t, nil) // image_id is required
	ctx := context.Background()
	if err := w.tf.Init(ctx, true); err != nil {
		t.Fatalf("Init: %v\n%s", err, w.log)
	}
	_, err := w.tf.Plan(ctx, "")
	if want := "terraform plan in " + w.dir + ": No value for required variable"; err == nil || err.Error() != want {
		t.Errorf("Plan error %q, want %q", err, want)
	}
}

// TestTerraformCancel cancels an apply whose provisioner is running: Terraform gets SIGINT,
// stops its provisioner, saves its state, releases its lock, and the error wraps
// context.Canceled.
func TestTerraformCancel(t *testing.T) {
	started := filepath.Join(t.TempDir(), "started")
	w := newWorld(t, map[string]any{"image_id": "x", "hold": started})
	if err := w.tf.Init(context.Background(), true); err != nil {
		t.Fatalf("Init: %v\n%s", err, w.log)
	}
	if _, err := w.tf.Workspace(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(t.TempDir(), "plan")
	if _, err := w.tf.Plan(context.Background(), plan); err != nil {
		t.Fatalf("Plan: %v\n%s", err, w.log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.tf.ApplyPlan(ctx, plan) }()
	var pid int
	for pid == 0 {
		if data, err := os.ReadFile(started); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Apply ended before its provisioner started: %v\n%s", err, w.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "terraform apply in "+w.dir+": stopped") {
		t.Errorf("Apply error %v, want one wrapping context.Canceled", err)
	}
	if alive(pid) {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the provisioner's child %d outlived Terraform: %s", pid, stat)
	}
	if !strings.Contains(w.log.String(), "Interrupt received") {
		t.Errorf("Terraform did not report the interrupt:\n%s", w.log)
	}
	// A Terraform that stopped gracefully removed its lock info; a killed one leaves it.
	if _, err := os.Stat(filepath.Join(w.stateDir, "dev", ".terraform.tfstate.lock.info")); err == nil {
		t.Error("Terraform did not release its lock")
	}
	if n, err := w.tf.StateResources(context.Background()); n < 1 || err != nil {
		t.Errorf("after cancel, StateResources = %d, %v; want the resource created before the interrupt", n, err)
	}
	if _, err := w.tf.Plan(context.Background(), ""); err != nil {
		t.Errorf("Plan after cancel: %v", err)
	}
}

// TestTerraformCancelled checks that nothing starts once the context is done.
func TestTerraformCancelled(t *testing.T) {
	w := newWorld(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.tf.Init(ctx, true)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Init error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(w.private, "data")); err == nil {
		t.Error("Init ran")
	}
}

// holdLock takes the local backend's lock on a state file as Terraform does: a POSIX write
// lock on the file plus the lock info file beside it.
func holdLock(t *testing.T, state, id, who string) func() {
	t.Helper()
	f, err := os.OpenFile(state, os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"ID": id, "Operation": "OperationTypeApply", "Who": who,
		"Version": "1.5.7", "Created": "2026-11-21T10:30:00Z", "Path": state})
	infoPath := filepath.Join(filepath.Dir(state), "."+filepath.Base(state)+".lock.info")
	if err := os.WriteFile(infoPath, info, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		lk.Type = syscall.F_UNLCK
		syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
		f.Close()
		os.Remove(infoPath)
	}
}

// TestTerraformValidate checks fmt -check and validate on a configuration with one badly
// formatted file and one undeclared variable.
func TestTerraformValidate(t *testing.T) {
	w := newWorld(t, nil)
	bad := "resource \"terraform_data\" \"b\" {\n    input = var.missing\n}\n"
	if err := os.WriteFile(filepath.Join(w.dir, "bad.tf"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	files, err := w.tf.FmtCheck(ctx)
	if err != nil || len(files) != 1 || files[0] != "bad.tf" {
		t.Errorf("FmtCheck = %q, %v; want [bad.tf]", files, err)
	}
	if err := w.tf.Init(ctx, false); err != nil {
		t.Fatalf("Init without backend: %v\n%s", err, w.log)
	}
	problems, err := w.tf.Validate(ctx)
	if want := "bad.tf:2: Reference to undeclared input variable"; err != nil || len(problems) != 1 || problems[0] != want {
		t.Errorf("Validate = %q, %v; want [%q]", problems, err, want)
	}
}

// alive reports whether pid runs, within a second: a killed process whose parent died stays
// a zombie until init reaps it, which kill(pid, 0) cannot tell from a live one.
func alive(pid int) bool {
	for i := 0; i < 50; i++ {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

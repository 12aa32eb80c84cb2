package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkBakeOverhead alternates kiln-bake and the `packer build` it wraps on the fast
// fixture (a template with no plugins to install), timing each whole process, and reports
// both and their ratio (goal: at most 1.3).
func BenchmarkBakeOverhead(b *testing.B) {
	w := newWorld(b)
	clean := func() { os.RemoveAll(filepath.Join(w.dir, "packer", "output")) }
	must(b, w.dir, "bake", nil) // warm: .kiln/, the registry
	var kiln, raw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clean()
		kiln += timed(func() { must(b, w.dir, "bake", map[string]string{"KILN_SOURCE_SHA": fmt.Sprintf("%040d", i)}) })
		clean()
		name := fmt.Sprintf("demo-web-%d", time.Now().UnixNano())
		raw += timed(func() {
			tool(b, filepath.Join(w.dir, "packer"), packer, "build", "-machine-readable", "-var", "image_name="+name,
				"-var", "image_family=demo-web", "-var", "source_sha=0123456789abcdef", "-var", "app_version=1.2.3", ".")
		})
	}
	report(b, kiln, raw)
}

// BenchmarkDeployOverhead alternates kiln-deploy-dev redeploying an unchanged image with
// the same sequence typed by hand (terraform init, workspace select, plan -out, apply of
// that plan, output -json) on a copy of the configuration, and reports both and their
// ratio (goal: at most 0.8).
func BenchmarkDeployOverhead(b *testing.B) {
	w := newWorld(b)
	must(b, w.dir, "bake", nil)
	must(b, w.dir, "deploy-dev", nil)
	hand := b.TempDir()
	copyDir(b, filepath.Join(w.dir, "terraform"), hand)
	tool(b, hand, terraform, "init", "-input=false", "-no-color")
	tool(b, hand, terraform, "workspace", "new", "dev")
	vars := filepath.Join(b.TempDir(), "vars.tfvars.json")
	writeFile(b, vars, `{"image_id": "us-east-1:ami-00000001", "port": 1}`)
	plan := filepath.Join(b.TempDir(), "plan")
	var kiln, raw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		kiln += timed(func() { must(b, w.dir, "deploy-dev", nil) })
		raw += timed(func() {
			tool(b, hand, terraform, "init", "-input=false", "-no-color")
			tool(b, hand, terraform, "workspace", "select", "dev")
			tool(b, hand, terraform, "plan", "-input=false", "-no-color", "-var-file="+vars, "-out="+plan)
			tool(b, hand, terraform, "apply", "-input=false", "-no-color", plan)
			tool(b, hand, terraform, "output", "-json")
		})
	}
	report(b, kiln, raw)
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// report puts each command's mean time and their ratio in the benchmark's line.
func report(b *testing.B, kiln, raw time.Duration) {
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(kiln.Milliseconds())/n, "kiln-ms/op")
	b.ReportMetric(float64(raw.Milliseconds())/n, "raw-ms/op")
	b.ReportMetric(float64(kiln)/float64(raw), "ratio")
}

// tool runs a raw Packer or Terraform command with the same kind of environment kiln builds.
func tool(b testing.TB, dir, exe string, args ...string) {
	b.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir, map[string]string{"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"})
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", filepath.Base(exe), args, err, out)
	}
}

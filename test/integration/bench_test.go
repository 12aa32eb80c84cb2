package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
)

// BenchmarkBake compares kiln-bake with the packer build it wraps, on the fast fixture.
func BenchmarkBake(b *testing.B) {
	w := newWorld(b)
	clean := func() { os.RemoveAll(filepath.Join(w.dir, "packer", "output")) }
	b.Run("kiln-bake", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			clean()
			b.StartTimer()
			must(b, w.dir, "bake", nil)
		}
	})
	b.Run("packer-build", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			clean()
			name := fmt.Sprintf("demo-web-%d", time.Now().UnixNano())
			b.StartTimer()
			tool(b, filepath.Join(w.dir, "packer"), packer, "build", "-machine-readable", "-var", "image_name="+name,
				"-var", "image_family=demo-web", "-var", "source_sha=0123456789abcdef", "-var", "app_version=1.2.3", ".")
		}
	})
}

// BenchmarkDeploy compares kiln-deploy-dev with the terraform apply it wraps: each iteration
// deploys a new image id, so both really change the state.
func BenchmarkDeploy(b *testing.B) {
	w := newWorld(b)
	recPath := filepath.Join(w.dir, "kiln-image.json")
	b.Run("kiln-deploy-dev", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			rec := record.New(record.Image{ID: fmt.Sprintf("us-east-1:ami-%08d", i), Name: "demo-web-bench", Family: "demo-web", Provider: "aws"},
				record.Source{Commit: "0123456789abcdef0123456789abcdef01234567"}, time.Now().UTC())
			if err := record.Write(recPath, rec); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			must(b, w.dir, "deploy-dev", nil)
		}
	})
	raw := b.TempDir()
	copyDir(b, filepath.Join(w.dir, "terraform"), raw)
	tool(b, raw, terraform, "init", "-input=false", "-no-color")
	b.Run("terraform-apply", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			tool(b, raw, terraform, "apply", "-auto-approve", "-input=false", "-no-color",
				"-var", fmt.Sprintf("image_id=us-east-1:ami-%08d", i), "-var", "port=1")
		}
	})
}

// tool runs a raw Packer or Terraform command with the same kind of environment kiln builds.
func tool(b *testing.B, dir, exe string, args ...string) {
	b.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir, map[string]string{"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"})
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", filepath.Base(exe), args, err, out)
	}
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// world is a copy of examples/local in a temporary directory, on ports of its own.
type world struct {
	dir     string
	ctx     context.Context
	timings []timing
}

type timing struct {
	what string
	took time.Duration
}

// ignored are the example's generated files (its .gitignore), left out of the copy.
var ignored = map[string]bool{".build": true, ".kiln": true, "kiln-image.json": true, "kiln.env": true,
	"kiln-junit.xml": true, "packer/output": true, "terraform/.run": true, "terraform/.terraform": true,
	"terraform/terraform.tfstate.d": true}

func newWorld(t *testing.T, ctx context.Context) *world {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(repoRoot, "examples", "local")
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if ignored[filepath.ToSlash(rel)] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // SkipDir on a file would skip the rest of its directory
		}
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	w := &world{dir: dir, ctx: ctx}
	// Ports of our own, so that a demo running from the checkout is left alone.
	w.edit(t, "base_port: 24022", "base_port: "+strconv.Itoa(freeRange(t, 2)))
	w.edit(t, "base_port: 24122", "base_port: "+strconv.Itoa(freeRange(t, 8))) // 2 slots of 2 VMs
	w.edit(t, "lb_port: 24100", "lb_port: "+strconv.Itoa(freeRange(t, 3)))
	return w
}

// edit replaces old with new in the copy's kiln.yaml; old must be there.
func (w *world) edit(t *testing.T, old, new string) {
	t.Helper()
	p := filepath.Join(w.dir, "kiln.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("kiln.yaml has no %q", old)
	}
	if err := os.WriteFile(p, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freeRange returns the first of n consecutive ports nobody listens on at 127.0.0.1.
func freeRange(t *testing.T, n int) int {
	t.Helper()
	for range 100 {
		base := 30000 + 2*rand.IntN(14000)
		free := true
		for p := base; p < base+n && free; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				free = false
				continue
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free port range on 127.0.0.1")
	return 0
}

// result is one run of a command.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, lastLines(r.stderr, 60))
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// run runs a command in the copy with the tools' and the demo's variables, and times it.
func (w *world) run(t *testing.T, what string, argv ...string) result {
	t.Helper()
	accel, _ := os.ReadFile(filepath.Join(w.dir, ".build", "accel"))
	extra := map[string]string{"KILN_DEMO_DIR": w.dir, "KILN_BIN": binDir, "KILN_DEMO_NO_BUILD": "1",
		"TF_VAR_accelerator": strings.TrimSpace(string(accel))}
	for k, v := range toolEnv {
		extra[k] = v
	}
	if goss := filepath.Join(repoRoot, ".tools", "bin", "goss"); fileExists(goss) {
		extra["KILN_GOSS"] = goss
	}
	cmd := exec.CommandContext(w.ctx, argv[0], argv[1:]...)
	cmd.Dir = w.dir
	cmd.Env = environ(extra)
	cmd.WaitDelay = 90 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	w.timings = append(w.timings, timing{what, time.Since(start)})
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return result{code, out.String(), errb.String()}
}

// kiln runs kiln-<step> in the copy.
func (w *world) kiln(t *testing.T, step string, args ...string) result {
	t.Helper()
	return w.run(t, "kiln-"+step+" "+strings.Join(args, " "), append([]string{filepath.Join(binDir, "kiln-"+step)}, args...)...)
}

// must fails the test unless r exited with code.
func must(t *testing.T, what string, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: want exit %d, got %s", what, code, r)
	}
}

// qemuProcesses lists the QEMU processes whose command line contains part.
func qemuProcesses(part string) []string {
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(b, []byte("qemu-system")) {
			continue
		}
		line := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(line, part) {
			found = append(found, filepath.Base(d)+": "+line)
		}
	}
	return found
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

package packer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInit: a template without required_plugins is never initialized; one with them is
// initialized once, then again only when its requirements or the installed plugins change.
func TestInit(t *testing.T) {
	var log bytes.Buffer
	r, notes := fakeRunner(t, "ok", &log)
	ctx := context.Background()
	stamps, plugins := t.TempDir(), t.TempDir()
	inits := func() int {
		n := 0
		for _, l := range readNotes(t, notes) {
			if strings.HasPrefix(l, "args init|") {
				n++
			}
		}
		return n
	}
	dir := t.TempDir()
	tmpl := Template{Path: dir}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := func(label string, wantRan bool, wantInits int) {
		t.Helper()
		ran, err := r.Init(ctx, tmpl, stamps, plugins)
		if err != nil || ran != wantRan || inits() != wantInits {
			t.Fatalf("%s: Init ran %v, %v; %d inits; want %v, %d", label, ran, err, inits(), wantRan, wantInits)
		}
	}
	write("app.pkr.hcl", "source \"file\" \"x\" {}\n")
	step("no plugins", false, 0)
	write("plugins.pkr.hcl", "packer {\n  required_plugins {\n    qemu = { version = \"1.1.0\", source = \"github.com/hashicorp/qemu\" }\n  }\n}\n")
	step("first", true, 1)
	step("unchanged", false, 1)
	if err := os.WriteFile(filepath.Join(plugins, "packer-plugin-qemu"), []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	step("a plugin appeared", true, 2)
	step("unchanged again", false, 2)
	write("plugins.pkr.hcl", "packer {\n  required_plugins {\n    qemu = { version = \"1.2.0\", source = \"github.com/hashicorp/qemu\" }\n  }\n}\n")
	step("another version", true, 3)
	if got := PluginDir(map[string]string{"HOME": "/h"}); got != "/h/.config/packer/plugins" {
		t.Errorf("PluginDir = %s", got)
	}
	if got := PluginDir(map[string]string{"HOME": "/h", "PACKER_PLUGIN_PATH": "/p"}); got != "/p" {
		t.Errorf("PluginDir = %s", got)
	}
}

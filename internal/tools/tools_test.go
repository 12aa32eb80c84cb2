package tools

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// tree builds files under a temporary root: a path ending in "*" is an executable (the "*"
// removed), a path ending in "/" a directory, anything else a plain file.
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(root, strings.TrimSuffix(p, "*"))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// finder returns a Finder working in root/dir whose variables are vars, with "<root>"
// replaced by root. Downloads are off unless vars say otherwise.
func finder(root, dir string, vars map[string]string) Finder {
	env := map[string]string{"KILN_TOOLS_OFFLINE": "1", "XDG_CACHE_HOME": filepath.Join(root, "cache")}
	for k, v := range vars {
		env[k] = strings.ReplaceAll(v, "<root>", root)
	}
	return Finder{Getenv: func(k string) string { return env[k] }, Dir: filepath.Join(root, dir)}
}

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    []string
		dir      string
		vars     map[string]string
		explicit string
		want     string // relative to the root; "" for an error
		wantCode int    // exit code of the error
	}{
		{"tools/bin here", []string{".tools/bin/terraform*"}, "", nil, "", ".tools/bin/terraform", 0},
		{"tools/bin from a nested directory", []string{".tools/bin/terraform*", "repo/ci/deep/"}, "repo/ci/deep", nil, "",
			".tools/bin/terraform", 0},
		{"nearest tools/bin wins", []string{".tools/bin/terraform*", "repo/.tools/bin/terraform*", "repo/ci/"}, "repo/ci", nil, "",
			"repo/.tools/bin/terraform", 0},
		{"tools/bin before PATH", []string{".tools/bin/terraform*", "usr/bin/terraform*"}, "", map[string]string{"PATH": "<root>/usr/bin"}, "",
			".tools/bin/terraform", 0},
		{"tools/bin not executable", []string{".tools/bin/terraform", "usr/bin/terraform*"}, "", map[string]string{"PATH": "<root>/usr/bin"}, "",
			"usr/bin/terraform", 0},
		{"PATH in order", []string{"a/terraform*", "b/terraform*"}, "", map[string]string{"PATH": "<root>/empty:<root>/b:<root>/a"}, "",
			"b/terraform", 0},
		{"PATH skips relative entries", []string{"b/terraform*", "rel/terraform*"}, "", map[string]string{"PATH": ".:rel::<root>/b"}, "",
			"b/terraform", 0},
		{"PATH skips directories named terraform", []string{"a/terraform/", "b/terraform*"}, "", map[string]string{"PATH": "<root>/a:<root>/b"}, "",
			"b/terraform", 0},
		{"offline, nothing found", []string{"repo/"}, "repo", map[string]string{"PATH": "<root>/repo"}, "", "", exitcode.Failed},
		{"explicit absolute", []string{"opt/tf*", ".tools/bin/terraform*"}, "", nil, "<root>/opt/tf", "opt/tf", 0},
		{"explicit relative to the working directory", []string{"repo/bin/tf*"}, "repo", nil, "bin/tf", "repo/bin/tf", 0},
		{"explicit name in PATH", []string{"usr/bin/terraform-1.5*", ".tools/bin/terraform*"}, "", map[string]string{"PATH": "<root>/usr/bin"},
			"terraform-1.5", "usr/bin/terraform-1.5", 0},
		{"explicit name not in PATH", nil, "", map[string]string{"PATH": "<root>/usr/bin"}, "terraform-1.5", "", exitcode.Usage},
		{"explicit missing", []string{".tools/bin/terraform*"}, "", nil, "<root>/opt/missing", "", exitcode.Usage},
		{"explicit directory", []string{"opt/tf/"}, "", nil, "<root>/opt/tf", "", exitcode.Usage},
		{"explicit not executable", []string{"opt/tf"}, "", nil, "<root>/opt/tf", "", exitcode.Usage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files...)
			got, err := finder(root, tc.dir, tc.vars).Terraform(context.Background(), strings.ReplaceAll(tc.explicit, "<root>", root))
			if tc.want == "" {
				if err == nil || exitcode.Of(err) != tc.wantCode {
					t.Fatalf("Terraform = %q, %v; want an error with exit code %d", got, err, tc.wantCode)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is not one line", err)
				}
				return
			}
			if err != nil || got != filepath.Join(root, tc.want) {
				t.Errorf("Terraform = %q, %v; want %q", got, err, filepath.Join(root, tc.want))
			}
		})
	}
}

func TestFindPacker(t *testing.T) {
	root := tree(t, ".tools/bin/packer*", ".tools/bin/terraform*")
	got, err := finder(root, "", nil).Packer(context.Background(), "")
	if err != nil || got != filepath.Join(root, ".tools/bin/packer") {
		t.Errorf("Packer = %q, %v", got, err)
	}
}

func TestOfflineMessage(t *testing.T) {
	_, err := finder(t.TempDir(), "", nil).Packer(context.Background(), "")
	if want := "packer not found in .tools/bin or PATH, and KILN_TOOLS_OFFLINE forbids a download"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestDownload checks that, online and with nothing found, the pinned release is asked for
// at KILN_RELEASES_URL (here a 127.0.0.1 server that has nothing), and that a binary found
// first means no request at all.
func TestDownload(t *testing.T) {
	var requests atomic.Int32
	var firstPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			firstPath.Store(r.URL.Path)
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	online := func(v string) map[string]string {
		return map[string]string{"KILN_TOOLS_OFFLINE": v, "KILN_RELEASES_URL": srv.URL}
	}

	root := tree(t, ".tools/bin/terraform*")
	for _, v := range []string{"", "0", "false"} {
		if _, err := finder(root, "", online(v)).Terraform(context.Background(), ""); err != nil {
			t.Fatalf("KILN_TOOLS_OFFLINE=%q: %v", v, err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests although a binary was found", n)
	}

	empty := t.TempDir()
	_, err := finder(empty, "", online("")).Terraform(context.Background(), "")
	if err == nil || !strings.HasPrefix(err.Error(), "find terraform: ") {
		t.Errorf("error %v, want a failed download", err)
	}
	if requests.Load() == 0 {
		t.Fatal("no request reached the releases mirror")
	}
	if p, _ := firstPath.Load().(string); !strings.Contains(p, "terraform") || !strings.Contains(p, TerraformVersion) {
		t.Errorf("first request for %q, want the pinned terraform %s", p, TerraformVersion)
	}
}

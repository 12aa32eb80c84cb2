package bake

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/record"
)

// writeTree writes files (name -> content; a name ending in "/" is a directory) under a new
// temporary directory, in the order given.
func writeTree(t *testing.T, names []string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestTemplateDigest(t *testing.T) {
	files := map[string]string{
		"app.pkr.hcl":              "source \"file\" \"x\" {}\n",
		"variables.pkr.hcl":        "variable \"v\" {}\n",
		"legacy.pkr.json":          "{}\n",
		"dev.auto.pkrvars.hcl":     "v = 1\n",
		"common.pkrvars.json":      "{\"v\": 2}\n",
		"README.md":                "not Packer's\n",
		"setup.sh":                 "echo hi\n",
		"app.pkr.hcl~":             "editor backup\n",
		"nested.pkr.hcl/":          "",
		"nested.pkr.hcl/x.pkr.hcl": "not loaded: Packer does not recurse\n",
	}
	order := []string{"app.pkr.hcl", "variables.pkr.hcl", "legacy.pkr.json", "dev.auto.pkrvars.hcl", "common.pkrvars.json",
		"README.md", "setup.sh", "app.pkr.hcl~", "nested.pkr.hcl/", "nested.pkr.hcl/x.pkr.hcl"}
	reversed := make([]string, 0, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		reversed = append(reversed, order[i])
	}
	// The directory digest is defined over sorted "sha256  name" lines.
	var want strings.Builder
	for _, n := range []string{"app.pkr.hcl", "common.pkrvars.json", "dev.auto.pkrvars.hcl", "legacy.pkr.json", "variables.pkr.hcl"} {
		fmt.Fprintf(&want, "%s  %s\n", sum(files[n]), n)
	}
	dirDigest := sum(want.String())

	a := writeTree(t, order, files)
	b := writeTree(t, append([]string{"nested.pkr.hcl/"}, reversed...), files) // created the other way round
	for _, tc := range []struct {
		name, path, want string
	}{
		{"directory", a, dirDigest},
		{"same files, other creation order", b, dirDigest},
		{"file", filepath.Join(a, "app.pkr.hcl"), sum(files["app.pkr.hcl"])},
		{"file of another kind", filepath.Join(a, "setup.sh"), sum(files["setup.sh"])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TemplateDigest(tc.path)
			if err != nil || got != tc.want {
				t.Errorf("TemplateDigest = %s, %v; want %s", got, err, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name    string
		change  func(dir string) error
		changed bool
	}{
		{"README edited", func(d string) error { return os.WriteFile(filepath.Join(d, "README.md"), []byte("x"), 0o644) }, false},
		{"script added", func(d string) error { return os.WriteFile(filepath.Join(d, "new.sh"), []byte("x"), 0o644) }, false},
		{"nested template edited", func(d string) error {
			return os.WriteFile(filepath.Join(d, "nested.pkr.hcl", "x.pkr.hcl"), []byte("x"), 0o644)
		}, false},
		{"template edited", func(d string) error { return os.WriteFile(filepath.Join(d, "app.pkr.hcl"), []byte("x"), 0o644) }, true},
		{"variables file edited", func(d string) error {
			return os.WriteFile(filepath.Join(d, "dev.auto.pkrvars.hcl"), []byte("v = 2\n"), 0o644)
		}, true},
		{"template renamed", func(d string) error {
			return os.Rename(filepath.Join(d, "variables.pkr.hcl"), filepath.Join(d, "vars.pkr.hcl"))
		}, true},
		{"template added", func(d string) error { return os.WriteFile(filepath.Join(d, "more.pkr.hcl"), nil, 0o644) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := writeTree(t, order, files)
			if err := tc.change(d); err != nil {
				t.Fatal(err)
			}
			got, err := TemplateDigest(d)
			if err != nil {
				t.Fatal(err)
			}
			if (got != dirDigest) != tc.changed {
				t.Errorf("digest changed: %v, want %v", got != dirDigest, tc.changed)
			}
		})
	}
}

func TestTemplateDigestErrors(t *testing.T) {
	empty := writeTree(t, []string{"README.md", "sub/", "sub/a.pkr.hcl"}, nil)
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(empty, "missing.pkr.hcl"), "packer template: stat "},
		{"no template files", empty, "packer template " + empty + ": no *.pkr.hcl or *.pkr.json file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TemplateDigest(tc.path)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting with %q", err, tc.want)
			}
		})
	}
}

var (
	gcpLabelKey   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	gcpLabelValue = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

func TestLabels(t *testing.T) {
	cfg, err := config.Parse([]byte("version: 1\nimage: {family: demo-web}\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n"),
		"kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	digest := sum("template")
	for _, tc := range []struct {
		name string
		src  record.Source
		want map[string]string
	}{
		{"full", record.Source{Commit: "0123ABCDEF0123abcdef0123abcdef0123abcdef", Ref: "feature/JIRA-12_x.y", TemplateSHA256: digest},
			map[string]string{
				"kiln-family": "demo-web", "kiln-name": "demo-web-1",
				"kiln-source-sha":      "0123abcdef0123abcdef0123abcdef0123abcdef",
				"kiln-source-ref":      "feature-jira-12_x-y",
				"kiln-template-sha256": digest[:63],
			}},
		{"empty source", record.Source{}, map[string]string{"kiln-family": "demo-web", "kiln-name": "demo-web-1"}},
		{"non-ASCII ref", record.Source{Ref: "fix/été"}, map[string]string{"kiln-family": "demo-web", "kiln-name": "demo-web-1",
			"kiln-source-ref": "fix---t--"}}, // é is two bytes
		{"long ref", record.Source{Ref: "refs/heads/" + strings.Repeat("a", 80)}, map[string]string{"kiln-family": "demo-web",
			"kiln-name": "demo-web-1", "kiln-source-ref": "refs-heads-" + strings.Repeat("a", 52)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := labels("demo-web-1", cfg, tc.src)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("labels =\n%v\nwant\n%v", got, tc.want)
			}
			for k, v := range got {
				if !gcpLabelKey.MatchString(k) || !gcpLabelValue.MatchString(v) {
					t.Errorf("label %s=%s breaks GCP's rules", k, v)
				}
			}
		})
	}
}

func TestBuildError(t *testing.T) {
	runErr := errors.New("packer build: exit status 1")
	for _, tc := range []struct {
		name string
		res  packer.Result
		want string
	}{
		{"build error first", packer.Result{BuildErrors: []packer.BuildError{{Build: "qemu.app", Message: "ssh timeout"}, {Build: "b", Message: "m"}},
			Errors: []string{"ui error"}}, "packer build: qemu.app: ssh timeout"},
		{"last ui error", packer.Result{Errors: []string{"first", "second"}}, "packer build: second"},
		{"nothing parsed", packer.Result{}, runErr.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildError(runErr, tc.res).Error(); got != tc.want {
				t.Errorf("buildError = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := short("0123abcdef"); got != "0123abcd" {
		t.Errorf("short = %q", got)
	}
	if got := short("abc"); got != "abc" {
		t.Errorf("short(abc) = %q", got)
	}
	if got := builderType(packer.Artifact{Build: "qemu.app"}); got != "qemu" {
		t.Errorf("builderType = %q", got)
	}
	if got := absFiles("/repo/packer", []string{"output/app.qcow2", "/abs/x"}); fmt.Sprint(got) != "[/repo/packer/output/app.qcow2 /abs/x]" {
		t.Errorf("absFiles = %q", got)
	}
}

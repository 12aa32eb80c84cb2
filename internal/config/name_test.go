package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateImageName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"demo-web-20260102030405-01234567", ""},
		{"a", ""},
		{"a1", ""},
		{"a" + strings.Repeat("b", 62), ""}, // 63 characters
		{"", `image name "" is empty`},
		{"a" + strings.Repeat("b", 63), `image name "a` + strings.Repeat("b", 63) + `" is 64 characters long; the limit is 63`},
		{"Demo", `image name "Demo" must start with a lowercase letter`},
		{"demo-Web", `image name "demo-Web" may hold only lowercase letters, digits and hyphens, not 'W'`},
		{"1demo", `image name "1demo" must start with a lowercase letter`},
		{"-demo", `image name "-demo" must start with a lowercase letter`},
		{"demo-", `image name "demo-" must not end with a hyphen`},
		{"demo_web", `image name "demo_web" may hold only lowercase letters, digits and hyphens, not '_'`},
		{"demo.web", `image name "demo.web" may hold only lowercase letters, digits and hyphens, not '.'`},
		{"démo", `image name "démo" may hold only lowercase letters, digits and hyphens, not 'é'`},
	} {
		err := ValidateImageName(tc.name)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateImageName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRenderName(t *testing.T) {
	d := NameData{
		Family: "demo",
		SHA:    "0123456789ABCDEF0123456789abcdef01234567",
		Ref:    "refs/heads/Feature/New_Login--Page",
		Time:   time.Date(2026, 11, 21, 22, 5, 9, 0, time.FixedZone("CET", 3600)),
	}
	for _, tc := range []struct{ tmpl, want, err string }{
		{DefaultImageName, "demo-20261121210509-01234567", ""},
		{"{{ .Family }}-{{ .Date }}-{{ .Ref }}", "demo-20261121-feature-new-login-page", ""},
		{"{{ .Family }}-{{ .SHA }}", "demo-0123456789abcdef0123456789abcdef01234567", ""},
		{`{{ .Family }}{{ if .Ref }}-{{ .Ref }}{{ end }}`, "demo-feature-new-login-page", ""},
		{"{{ .Family }}-{{ .SHA }}-{{ .SHA }}", "", `image name "demo-0123456789abcdef0123456789abcdef01234567-0123456789abcdef0123456789abcdef01234567" is 86 characters long; the limit is 63`},
		{"{{ .Family }}_{{ .Date }}", "", `image name "demo_20261121" may hold only lowercase letters, digits and hyphens, not '_'`},
		{"{{ .Nope }}", "", "unknown field .Nope (have .Family .Timestamp .Date .SHA .ShortSHA .Ref)"},
		{"{{ .Family", "", `parse image name template: template: image.name:1: unclosed action`},
		{`{{ define "x" }}a{{ end }}{{ template "x" }}`, "", `parse image name template: "{{template \"x\"}}" is not allowed in a name template`},
		{`{{ printf "%0500d" 1 }}`, "", `render image name: longer than 63 characters`},
		{"", "", `image name "" is empty`},
	} {
		got, err := RenderName(tc.tmpl, d)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.err {
			t.Errorf("RenderName(%q) = %q, %q; want %q, %q", tc.tmpl, got, gotErr, tc.want, tc.err)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"main":                  "main",
		"refs/tags/v1.2.3":      "v1-2-3",
		"refs/heads/feat/ABC_1": "feat-abc-1",
		"--x--":                 "x",
		"":                      "",
		"ümlaut/ß":              "mlaut",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

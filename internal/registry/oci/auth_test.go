package oci_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry/oci"
)

func TestCredentials(t *testing.T) {
	home := t.TempDir()
	dockerDir := t.TempDir()
	auth := func(u, p string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":" + p)) }
	if err := os.MkdirAll(filepath.Join(home, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".docker", "config.json"),
		[]byte(`{"auths":{"harbor.corp:8443":{"auth":"`+auth("home-user", "home-pass")+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"),
		[]byte(`{"auths":{"harbor.corp:8443":{"auth":"`+auth("dc-user", "dc-pass")+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	gitlab := map[string]string{"GITLAB_CI": "true", "CI_REGISTRY": "registry.gitlab.example.com", "CI_JOB_TOKEN": "job-tok"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{"HOME": home}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name, host string
		env        map[string]string
		user, pass string
		source     string
	}{
		{"kiln variables first", "registry.gitlab.example.com", with(gitlab, "KILN_REGISTRY_USERNAME", "u", "KILN_REGISTRY_PASSWORD", "p", "CI_REGISTRY_USER", "x", "CI_REGISTRY_PASSWORD", "y"),
			"u", "p", "KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD"},
		{"GitLab registry user", "registry.gitlab.example.com", with(gitlab, "CI_REGISTRY_USER", "gitlab-ci-token", "CI_REGISTRY_PASSWORD", "reg-pass"),
			"gitlab-ci-token", "reg-pass", "GitLab CI's CI_REGISTRY_USER/CI_REGISTRY_PASSWORD"},
		{"GitLab job token", "REGISTRY.gitlab.example.com", with(gitlab), "gitlab-ci-token", "job-tok", "GitLab CI's CI_JOB_TOKEN"},
		{"GitLab token not sent elsewhere", "harbor.corp:8443", with(gitlab), "home-user", "home-pass", "docker config " + filepath.Join(home, ".docker", "config.json")},
		{"GitHub token for ghcr.io", "ghcr.io", with(nil, "GITHUB_ACTIONS", "true", "GITHUB_TOKEN", "gh-tok", "GITHUB_ACTOR", "octo"), "octo", "gh-tok", "GitHub Actions' GITHUB_TOKEN"},
		{"GitHub token not sent elsewhere", "registry.gitlab.example.com", with(nil, "GITHUB_ACTIONS", "true", "GITHUB_TOKEN", "gh-tok"), "", "", "none (anonymous;"},
		{"DOCKER_CONFIG", "harbor.corp:8443", with(nil, "DOCKER_CONFIG", dockerDir), "dc-user", "dc-pass", "docker config " + filepath.Join(dockerDir, "config.json")},
		{"no docker config", "harbor.corp:8443", map[string]string{"HOME": t.TempDir()}, "", "", "none (anonymous)"},
		{"no HOME", "harbor.corp:8443", map[string]string{}, "", "", "none (anonymous)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, src, err := oci.Credentials(context.Background(), func(k string) string { return tc.env[k] }, tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if cred.Username != tc.user || cred.Password != tc.pass || !strings.HasPrefix(src, tc.source) {
				t.Errorf("got %q/%q from %q, want %q/%q from %q", cred.Username, cred.Password, src, tc.user, tc.pass, tc.source)
			}
			if tc.pass != "" && strings.Contains(src, tc.pass) {
				t.Errorf("the source %q holds the password", src)
			}
		})
	}
	_, _, err := oci.Credentials(context.Background(), func(k string) string { return map[string]string{"KILN_REGISTRY_PASSWORD": "p"}[k] }, "ghcr.io")
	if exitcode.Of(err) != exitcode.Usage || strings.Contains(err.Error(), "p\"") {
		t.Errorf("a password without a user: %v", err)
	}
}

func TestParseID(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		id, repo string
		ok       bool
	}{
		{"oci:ghcr.io/acme/vm@sha256:" + hex, "ghcr.io/acme/vm", true},
		{"oci:127.0.0.1:5000/kiln@sha256:" + hex, "127.0.0.1:5000/kiln", true},
		{"oci:ghcr.io/acme/vm@sha256:" + hex[:63], "", false},
		{"oci:ghcr.io/acme/vm@sha512:" + hex, "", false},
		{"oci:@sha256:" + hex, "", false},
		{"local:sha256:" + hex, "", false},
		{"oci:ghcr.io/acme/vm@sha256:" + strings.ToUpper(hex), "", false},
	} {
		repo, d, ok := oci.ParseID(tc.id)
		if ok != tc.ok || repo != tc.repo || ok && d.Encoded() != hex {
			t.Errorf("ParseID(%q) = %q, %q, %v", tc.id, repo, d, ok)
		}
	}
}

func TestOpen(t *testing.T) {
	parse := func(t *testing.T, reg string) *config.Config {
		c, err := config.Parse([]byte("version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n"+reg), "kiln.yaml", "/repo")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	ctx := context.Background()
	cfg := parse(t, "registry: {type: oci, repository: 127.0.0.1:5000/kiln, plain_http: true}\n")
	r, err := oci.Open(ctx, cfg, env(map[string]string{"HOME": "/home/u"}), "/work", time.Now)
	if err != nil || r.Repository() != "127.0.0.1:5000/kiln" || r.CacheDir() != "/home/u/.cache/kiln/oci" {
		t.Fatalf("Open = %v, %v", r, err)
	}
	r, err = oci.Open(ctx, cfg, env(map[string]string{"KILN_REGISTRY_REPOSITORY": "localhost:6000/other", "KILN_OCI_CACHE": "cache", "XDG_CACHE_HOME": "/xdg"}), "/work", time.Now)
	if err != nil || r.Repository() != "localhost:6000/other" || r.CacheDir() != "/work/cache" {
		t.Fatalf("Open with overrides = %v, %v", r, err)
	}
	if got := oci.DefaultCache(env(map[string]string{"XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}), "/work"); got != "/xdg/kiln/oci" {
		t.Errorf("DefaultCache = %s", got)
	}
	for _, tc := range []struct {
		name, reg string
		env       map[string]string
		want      string
	}{
		{"no repository", "registry: {type: oci}\n", nil, "kiln.yaml:5: registry: type oci needs registry.repository"},
		{"bad override", "registry: {type: oci, repository: ghcr.io/a/b}\n", map[string]string{"KILN_REGISTRY_REPOSITORY": "ghcr.io"}, `OCI repository: "ghcr.io" has no path`},
		{"plain HTTP elsewhere by override", "registry: {type: oci, repository: 127.0.0.1:5000/kiln, plain_http: true}\n",
			map[string]string{"KILN_REGISTRY_REPOSITORY": "registry.corp/kiln"}, "plain HTTP is only allowed"},
		{"local", "", nil, `registry type "local" keeps no OCI images`},
		{"missing CA file", "registry: {type: oci, repository: ghcr.io/a/b, ca_file: nope.pem}\n", nil, "registry.ca_file: open /repo/nope.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oci.Open(ctx, parse(t, tc.reg), env(tc.env), "/work", time.Now)
			if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open = %v, want exit 2 with %q", err, tc.want)
			}
		})
	}
}

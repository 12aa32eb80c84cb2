package config

import (
	"strings"
	"testing"
)

func TestRegistryOCIValid(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, repo string
		plain            bool
		ca               string
	}{
		{"host and path", "registry: {type: oci, repository: registry.example.com/team/vm-images}\n", "registry.example.com/team/vm-images", false, ""},
		{"port and CA", "registry:\n  type: oci\n  repository: harbor.corp:8443/kiln/web\n  ca_file: certs/ca.pem\n", "harbor.corp:8443/kiln/web", false, "certs/ca.pem"},
		{"loopback plain HTTP", "registry: {type: oci, repository: 127.0.0.1:5000/kiln, plain_http: true}\n", "127.0.0.1:5000/kiln", true, ""},
		{"localhost plain HTTP", "registry: {type: oci, repository: localhost:5000/a/b, plain_http: true}\n", "localhost:5000/a/b", true, ""},
		{"IPv6 loopback", "registry: {type: oci, repository: \"[::1]:5000/kiln\", plain_http: true}\n", "[::1]:5000/kiln", true, ""},
		{"repository from the environment", "registry: {type: oci}\n", "", false, ""},
		{"separators", "registry: {type: oci, repository: ghcr.io/acme/vm_images.web--x}\n", "ghcr.io/acme/vm_images.web--x", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(base+tc.yaml), "kiln.yaml", "/repo")
			if err != nil {
				t.Fatal(err)
			}
			r := c.Registry
			if r.Type != "oci" || r.Repository != tc.repo || r.PlainHTTP != tc.plain || r.CAFile != tc.ca || r.Path != "" {
				t.Errorf("registry = %+v", r)
			}
		})
	}
}

func TestRegistryOCIErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"repository with local", "registry: {repository: ghcr.io/a/b}\n",
			`kiln.yaml:9: registry.repository: only used with type oci, not local`},
		{"ca_file with gcp", "registry:\n  type: gcp\n  ca_file: ca.pem\n",
			`kiln.yaml:11: registry.ca_file: only used with type oci, not gcp`},
		{"plain_http with aws", "registry:\n  type: aws\n  plain_http: false\n",
			`kiln.yaml:11: registry.plain_http: only used with type oci, not aws`},
		{"path with oci", "registry:\n  type: oci\n  path: x\n",
			`kiln.yaml:11: registry.path: only used with type local, not oci`},
		{"scheme", "registry:\n  type: oci\n  repository: https://ghcr.io/a/b\n",
			`kiln.yaml:11: registry.repository: "https://ghcr.io/a/b" has a URL scheme`},
		{"no path", "registry: {type: oci, repository: ghcr.io}\n",
			`kiln.yaml:9: registry.repository: "ghcr.io" has no path after the host`},
		{"no host", "registry: {type: oci, repository: acme/images}\n",
			`kiln.yaml:9: registry.repository: "acme/images" does not start with a registry host`},
		{"tag", "registry: {type: oci, repository: \"ghcr.io/a/b:latest\"}\n",
			`kiln.yaml:9: registry.repository: "ghcr.io/a/b:latest" names a tag or digest`},
		{"digest", "registry: {type: oci, repository: \"ghcr.io/a/b@sha256:00\"}\n",
			`kiln.yaml:9: registry.repository: "ghcr.io/a/b@sha256:00" names a tag or digest`},
		{"uppercase path", "registry: {type: oci, repository: ghcr.io/Acme/b}\n",
			`kiln.yaml:9: registry.repository: "ghcr.io/Acme/b": path component "Acme" may hold only`},
		{"empty component", "registry: {type: oci, repository: ghcr.io/a//b}\n",
			`kiln.yaml:9: registry.repository: "ghcr.io/a//b": path component "" may hold only`},
		{"plain HTTP off the loopback", "registry:\n  type: oci\n  repository: registry.corp:5000/kiln\n  plain_http: true\n",
			`kiln.yaml:12: registry.plain_http: plain HTTP is only allowed to a registry on the loopback interface, not registry.corp`},
		{"plain HTTP with a CA", "registry:\n  type: oci\n  repository: 127.0.0.1:5000/kiln\n  plain_http: true\n  ca_file: ca.pem\n",
			`kiln.yaml:13: registry.ca_file: a CA file needs TLS`},
		{"plain_http not a boolean", "registry: {type: oci, plain_http: maybe}\n",
			`kiln.yaml:9: registry.plain_http: expected`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tc.yaml), "kiln.yaml", "/repo")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want one starting with %s", err, tc.want)
			}
			assertConfigError(t, err)
		})
	}
}

func TestCheckRepository(t *testing.T) {
	long := "ghcr.io/" + strings.Repeat("a", 256)
	for _, tc := range []struct {
		repo string
		ok   bool
	}{
		{"ghcr.io/acme/vm", true},
		{"localhost/kiln", true},
		{"10.0.0.7:5000/kiln", true},
		{"registry-1.example.com/a/b/c", true},
		{"-bad.example.com/a", false},
		{"example.com:port/a", false},
		{"example.com/a/", false},
		{"example.com/a__b", true},
		{"example.com/a___b", false},
		{"example.com/.a", false},
		{long, false},
	} {
		if err := CheckRepository(tc.repo); (err == nil) != tc.ok {
			t.Errorf("CheckRepository(%q) = %v, want ok %v", tc.repo, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		repo string
		ok   bool
	}{
		{"127.0.0.1:5000/a", true}, {"127.8.9.10/a", true}, {"localhost:1/a", true}, {"[::1]:5000/a", true},
		{"10.0.0.1:5000/a", false}, {"ghcr.io/a", false}, {"localhost.example.com/a", false},
	} {
		if err := CheckPlainHTTP(tc.repo); (err == nil) != tc.ok {
			t.Errorf("CheckPlainHTTP(%q) = %v, want ok %v", tc.repo, err, tc.ok)
		}
	}
}

package config

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// An OCI repository is host[:port]/path as the OCI distribution spec names them: a host
// name or IP address (IPv6 in brackets), an optional port, and lowercase path components
// separated by slashes.
var (
	ociHostRE      = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$`)
	ociComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// validateRegistryOCI checks the oci keys: used only with type oci, a repository of the
// form host[:port]/path when given (KILN_REGISTRY_REPOSITORY may give it instead), plain
// HTTP only to a loopback host.
func (c *Config) validateRegistryOCI() error {
	r := c.Registry
	for _, k := range []struct {
		key string
		set bool
	}{{"repository", r.Repository != ""}, {"ca_file", r.CAFile != ""}, {"plain_http", c.has("registry.plain_http")}} {
		if k.set && r.Type != "oci" {
			return c.errorf("registry."+k.key, "registry.%s: only used with type oci, not %s", k.key, r.Type)
		}
	}
	if r.Type != "oci" {
		return nil
	}
	if r.Repository != "" {
		if err := CheckRepository(r.Repository); err != nil {
			return c.errorf("registry.repository", "registry.repository: %v", err)
		}
		if r.PlainHTTP {
			if err := CheckPlainHTTP(r.Repository); err != nil {
				return c.errorf("registry.plain_http", "registry.plain_http: %v", err)
			}
		}
	}
	if c.has("registry.ca_file") && strings.TrimSpace(r.CAFile) == "" {
		return c.errorf("registry.ca_file", "registry.ca_file: file name must not be empty")
	}
	if r.CAFile != "" && r.PlainHTTP {
		return c.errorf("registry.ca_file", "registry.ca_file: a CA file needs TLS, but registry.plain_http is true")
	}
	return nil
}

// CheckRepository returns why repo is not an OCI repository of the form host[:port]/path,
// or nil. kiln.yaml's registry.repository and KILN_REGISTRY_REPOSITORY are checked alike.
func CheckRepository(repo string) error {
	host, path, ok := strings.Cut(repo, "/")
	switch {
	case strings.Contains(repo, "://"):
		return fmt.Errorf("%q has a URL scheme; give host[:port]/path such as registry.example.com/team/vm-images (plain_http: true for http on 127.0.0.1)", repo)
	case strings.ContainsAny(repo, "@") || strings.Contains(path, ":"):
		return fmt.Errorf("%q names a tag or digest; give the repository only, host[:port]/path", repo)
	case !ok || path == "":
		return fmt.Errorf("%q has no path after the host; give host[:port]/path such as registry.example.com/team/vm-images", repo)
	case !ociHostRE.MatchString(host) || !(strings.ContainsAny(host, ".:[") || host == "localhost"):
		return fmt.Errorf("%q does not start with a registry host such as registry.example.com or 127.0.0.1:5000", repo)
	case len(path) > 255:
		return fmt.Errorf("%q: the path is %d characters long; the limit is 255", repo, len(path))
	}
	for _, comp := range strings.Split(path, "/") {
		if !ociComponentRE.MatchString(comp) {
			return fmt.Errorf("%q: path component %q may hold only lowercase letters, digits and single separators . _ -", repo, comp)
		}
	}
	return nil
}

// CheckPlainHTTP returns an error unless repo's host is on the loopback interface
// (localhost, 127.0.0.0/8, ::1): credentials and images travel in the clear over plain HTTP.
func CheckPlainHTTP(repo string) error {
	host, _, _ := strings.Cut(repo, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("plain HTTP is only allowed to a registry on the loopback interface, not %s: use TLS (registry.ca_file for a private CA)", host)
}

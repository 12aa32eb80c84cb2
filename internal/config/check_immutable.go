package config

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// DefaultServicesOff are the services an immutable check wants off when kiln.yaml lists
// none: a scheduler and the configuration-management agents that change a server in place.
var DefaultServicesOff = []string{"cron", "puppet", "chef-client", "salt-minion"}

// serviceRE is a systemd unit name as an immutable check may list it ("cron",
// "getty@tty1.service"); it never starts with "-", so it cannot become an option.
var serviceRE = regexp.MustCompile(`^[A-Za-z0-9@_][A-Za-z0-9@._-]*$`)

// ImmutableCheck passes when the machine shows what an immutable server must: its root file
// system mounted read-only, the listed services neither enabled nor running, and the packages
// it was baked with. kiln reads those facts from URL (a facts endpoint, GET, JSON) or over SSH
// (the connection keys of an ssh check); exactly one of the two is given.
type ImmutableCheck struct {
	URL            string `yaml:"url"` // http(s), a template over the environment's outputs
	Address        string `yaml:"address"`
	User           string `yaml:"user"`
	PrivateKeyFile string `yaml:"private_key_file"`
	PrivateKeyEnv  string `yaml:"private_key_env"`
	HostKey        string `yaml:"host_key"`
	// The assertions, nil when kiln.yaml leaves them out: read them through ReadOnly,
	// Services and Packages, which apply the defaults.
	ReadOnlyRoot      *bool    `yaml:"read_only_root"`     // default true
	ServicesOff       []string `yaml:"services_off"`       // default DefaultServicesOff; [] checks none
	PackagesUnchanged *bool    `yaml:"packages_unchanged"` // default true
}

// ReadOnly reports whether the root file system must be mounted read-only (default true).
func (m *ImmutableCheck) ReadOnly() bool { return m.ReadOnlyRoot == nil || *m.ReadOnlyRoot }

// Services returns the services that must be off: services_off, or DefaultServicesOff when
// kiln.yaml leaves it out.
func (m *ImmutableCheck) Services() []string {
	if m.ServicesOff == nil {
		return append([]string(nil), DefaultServicesOff...)
	}
	return append([]string{}, m.ServicesOff...)
}

// Packages reports whether the packages must be the ones baked (default true).
func (m *ImmutableCheck) Packages() bool { return m.PackagesUnchanged == nil || *m.PackagesUnchanged }

// Connection returns how the check reaches the machine over SSH.
func (m *ImmutableCheck) Connection() SSHConnection {
	return SSHConnection{m.Address, m.User, m.PrivateKeyFile, m.PrivateKeyEnv, m.HostKey}
}

// OverSSH reports whether the check reads its facts over SSH rather than from URL.
func (m *ImmutableCheck) OverSSH() bool { return m.URL == "" }

// MarshalJSON encodes the check with its defaults applied, for Test.Digest: leaving a key
// out and writing its default digest alike.
func (m ImmutableCheck) MarshalJSON() ([]byte, error) {
	type plain ImmutableCheck // without this method
	p := plain(m)
	p.ReadOnlyRoot, p.PackagesUnchanged, p.ServicesOff = ptr(m.ReadOnly()), ptr(m.Packages()), m.Services()
	return json.Marshal(p)
}

func ptr[T any](v T) *T { return &v }

// validateImmutable checks an immutable check at path p: one way to read the facts, service
// names systemctl takes, and at least one thing to assert.
func (c *Config) validateImmutable(p string, m *ImmutableCheck) error {
	ssh := m.Connection()
	var sshKeys []string
	for _, k := range []struct{ key, value string }{
		{"address", ssh.Address}, {"user", ssh.User}, {"private_key_file", ssh.PrivateKeyFile},
		{"private_key_env", ssh.PrivateKeyEnv}, {"host_key", ssh.HostKey},
	} {
		if k.value != "" || c.has(p+"."+k.key) {
			sshKeys = append(sshKeys, k.key)
		}
	}
	switch {
	case m.URL != "" && len(sshKeys) > 0:
		return c.errorf(p+"."+sshKeys[0], "%s: has both url and %s; read the facts from an endpoint or over SSH, not both", p, sshKeys[0])
	case m.URL != "":
		if err := c.validateFactsURL(p+".url", m.URL); err != nil {
			return err
		}
	case len(sshKeys) == 0:
		if c.has(p + ".url") {
			return c.required(p + ".url")
		}
		return c.errorf(p, "%s: needs url (a facts endpoint) or an SSH connection (address, user, private_key_file or private_key_env, host_key)", p)
	default:
		if err := c.validateConnection(p, ssh); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, s := range m.ServicesOff {
		at := index(p+".services_off", i)
		if !serviceRE.MatchString(s) {
			return c.errorf(at, "%s: %q is not a systemd unit name such as cron or getty@tty1.service", at, s)
		}
		if seen[strings.TrimSuffix(s, ".service")] {
			return c.errorf(at, "%s: %q is listed twice", at, s)
		}
		seen[strings.TrimSuffix(s, ".service")] = true
	}
	if !m.ReadOnly() && len(m.Services()) == 0 && !m.Packages() {
		return c.errorf(p, "%s: asserts nothing (read_only_root and packages_unchanged are false, services_off is empty)", p)
	}
	return nil
}

// validateFactsURL checks a facts URL as far as it can before the outputs fill it: a URL
// without a template must be http(s) with a host; a template's fixed start must not name
// another scheme. kiln-test checks the rendered URL again.
func (c *Config) validateFactsURL(p, raw string) error {
	fixed, templated := raw, false
	if i := strings.Index(raw, "{{"); i >= 0 {
		fixed, templated = raw[:i], true
	}
	if !templated {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.errorf(p, "%s: not an http:// or https:// URL with a host", p) // never quoted: it may hold a password
		}
		return nil
	}
	if scheme, _, ok := strings.Cut(fixed, "://"); ok && scheme != "http" && scheme != "https" {
		return c.errorf(p, "%s: the scheme %q is not http or https", p, scheme)
	}
	return nil
}

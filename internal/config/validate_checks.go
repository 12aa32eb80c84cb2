package config

import (
	"regexp"
	"sort"
	"strings"
)

var httpMethodRE = regexp.MustCompile(`^[A-Z]+$`)

// validateTest checks test: an explicit environment must exist, and so must the default
// one ("dev") when there are checks to run against it.
func (c *Config) validateTest() error {
	t := c.Test
	if _, ok := c.Environments[t.Environment]; !ok && (c.has("test.environment") || len(t.Checks) > 0) {
		return c.errorf("test.environment", "test.environment: no environment %q in environments", t.Environment)
	}
	seen := map[string]string{}
	for i, ch := range t.Checks {
		p := index("test.checks", i)
		if ch.Name == "" {
			return c.required(p + ".name")
		}
		if first, dup := seen[ch.Name]; dup {
			return c.errorf(p+".name", "%s.name: %q is already the name of %s", p, ch.Name, first)
		}
		seen[ch.Name] = p
		if err := c.validateCheck(p, ch); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateCheck(p string, ch Check) error {
	kinds := ch.kinds()
	sort.SliceStable(kinds, func(i, j int) bool { return c.Line(p+"."+kinds[i]) < c.Line(p+"."+kinds[j]) })
	switch {
	case len(kinds) == 0:
		return c.errorf(p, "%s: needs one of http, tcp, ssh, goss or immutable", p)
	case len(kinds) > 1:
		return c.errorf(p+"."+kinds[1], "%s: has both %s and %s; a check does one thing", p, kinds[0], kinds[1])
	case ch.SSH != nil:
		if err := c.validateSSH(p+".ssh", ch.SSH); err != nil {
			return err
		}
	case ch.Goss != nil:
		if err := c.validateGoss(p+".goss", ch.Goss); err != nil {
			return err
		}
	case ch.Immutable != nil:
		if err := c.validateImmutable(p+".immutable", ch.Immutable); err != nil {
			return err
		}
	case ch.HTTP != nil:
		h := ch.HTTP
		if h.URL == "" {
			return c.required(p + ".http.url")
		}
		if !httpMethodRE.MatchString(h.Method) {
			return c.errorf(p+".http.method", "%s.http.method: %q is not an HTTP method such as GET", p, h.Method)
		}
		if h.Status < 100 || h.Status > 599 {
			return c.errorf(p+".http.status", "%s.http.status: %d is not an HTTP status code", p, h.Status)
		}
		for _, k := range sortedKeys(c, p+".http.headers", h.Headers) {
			if k == "" || strings.ContainsAny(k, " \t\r\n:") {
				return c.errorf(p+".http.headers."+k, "%s.http.headers: %q is not a header name", p, k)
			}
		}
	case ch.TCP != nil:
		if ch.TCP.Address == "" {
			return c.required(p + ".tcp.address")
		}
	}
	if ch.Timeout.Duration < 0 {
		return c.errorf(p+".timeout", "%s.timeout: must be positive", p)
	}
	if ch.Interval.Duration < 0 {
		return c.errorf(p+".interval", "%s.interval: must be positive", p)
	}
	return c.validateCheckEnvironments(p+".environments", ch.Environments)
}

// validateCheckEnvironments checks a check's environments: names of kiln.yaml's
// environments, each once, at least one when the key is there.
func (c *Config) validateCheckEnvironments(p string, envs []string) error {
	if envs == nil {
		return nil
	}
	if len(envs) == 0 {
		return c.errorf(p, "%s: names no environment; leave it out to run the check in test.environment (%s)", p, c.Test.Environment)
	}
	seen := map[string]bool{}
	for i, e := range envs {
		at := index(p, i)
		if _, ok := c.Environments[e]; !ok {
			return c.errorf(at, "%s: no environment %q in environments (have %s)", at, e, strings.Join(c.EnvironmentNames(), ", "))
		}
		if seen[e] {
			return c.errorf(at, "%s: %q is listed twice", at, e)
		}
		seen[e] = true
	}
	return nil
}

// validatePromote checks promote: distinct branches, and an explicit environment must exist
// (the default, "prod", is checked by kiln-promote when it runs, so a dev-only kiln.yaml
// stays valid).
func (c *Config) validatePromote() error {
	p := c.Promote
	if p.From == p.To {
		return c.errorf("promote.to", "promote.to: %q is also promote.from; promotion goes from one branch to another", p.To)
	}
	if _, ok := c.Environments[p.Environment]; !ok && c.has("promote.environment") {
		return c.errorf("promote.environment", "promote.environment: no environment %q in environments", p.Environment)
	}
	if c.Test.Environment == p.Environment {
		at := "test.environment"
		if !c.has(at) {
			at = "promote.environment" // the default test environment: the promote one was written
		}
		return c.errorf(at, "test.environment: %q is promote.environment; images are tested before they reach it, not in it", p.Environment)
	}
	if _, ok := c.Environments[p.Environment]; ok {
		for _, name := range c.EnvironmentNames() {
			if name != p.Environment && c.SameTarget(name, p.Environment) {
				return c.errorf("environments."+name, "environments.%s: deploys into the same Terraform state as %s, the promote environment (same terraform, workspace and backend)", name, p.Environment)
			}
		}
	}
	if err := c.validatePromotePlan(); err != nil {
		return err
	}
	return c.validatePromoteGitLab()
}

// has reports whether the key at the dotted path was written in the file.
func (c *Config) has(path string) bool {
	_, ok := c.lines[path]
	return ok
}

// required reports an empty required key: at its own line when it is there but empty,
// else as missing from its parent.
func (c *Config) required(path string) error {
	if c.has(path) {
		return c.errorf(path, "%s: must not be empty", path)
	}
	return c.missing(path)
}

// missing reports the outermost absent key on path at its parent's line:
// with no image section at all, `missing required key "image"` rather than "family".
func (c *Config) missing(path string) error {
	for p := parent(path); p != "" && !c.has(p); p = parent(p) {
		path = p
	}
	par := parent(path)
	key := strings.TrimPrefix(path[len(par):], ".")
	return c.errorf(par, "missing required key %q %s", key, where(par))
}

// sortedKeys returns the keys of m (the map at path) in file order.
func sortedKeys[V any](c *Config, path string, m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := c.Line(join(path, keys[i])), c.Line(join(path, keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

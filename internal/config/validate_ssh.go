package config

import (
	"strings"

	"golang.org/x/crypto/ssh"
)

// kinds names the kinds of check ch sets, in schema order.
func (ch Check) kinds() []string {
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"http", ch.HTTP != nil}, {"tcp", ch.TCP != nil}, {"ssh", ch.SSH != nil}, {"goss", ch.Goss != nil}, {"immutable", ch.Immutable != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	return kinds
}

// validateSSH checks an ssh check at path p.
func (c *Config) validateSSH(p string, s *SSHCheck) error {
	if err := c.validateConnection(p, s.Connection()); err != nil {
		return err
	}
	if strings.TrimSpace(s.Command) == "" {
		return c.required(p + ".command")
	}
	if s.ExitCode < 0 || s.ExitCode > 255 {
		return c.errorf(p+".exit_code", "%s.exit_code: %d is not an exit code (0 to 255)", p, s.ExitCode)
	}
	return nil
}

// validateGoss checks a goss check at path p.
func (c *Config) validateGoss(p string, g *GossCheck) error {
	if err := c.validateConnection(p, g.Connection()); err != nil {
		return err
	}
	if strings.TrimSpace(g.Gossfile) == "" {
		return c.required(p + ".gossfile")
	}
	if c.has(p+".binary") && strings.TrimSpace(g.Binary) == "" {
		return c.errorf(p+".binary", "%s.binary: must not be empty; leave it out to use .tools/bin/goss", p)
	}
	return nil
}

// validateConnection checks the keys ssh, goss and immutable checks share at path p: where, as whom,
// with which key, and the host key to pin, which nothing may leave out.
func (c *Config) validateConnection(p string, s SSHConnection) error {
	if s.Address == "" {
		return c.required(p + ".address")
	}
	if s.User == "" {
		return c.required(p + ".user")
	}
	switch {
	case s.PrivateKeyFile == "" && s.PrivateKeyEnv == "":
		return c.errorf(p, "%s: needs one of private_key_file or private_key_env", p)
	case s.PrivateKeyFile != "" && s.PrivateKeyEnv != "":
		return c.errorf(p+".private_key_env", "%s: has both private_key_file and private_key_env; give one", p)
	case s.PrivateKeyEnv != "" && !envVarRE.MatchString(s.PrivateKeyEnv):
		return c.errorf(p+".private_key_env", "%s.private_key_env: %q is not an environment variable name", p, s.PrivateKeyEnv)
	}
	if !c.has(p + ".host_key") {
		return c.errorf(p, "missing required key %q in %s: kiln always checks the server's host key", "host_key", p)
	}
	if strings.TrimSpace(s.HostKey) == "" {
		return c.required(p + ".host_key")
	}
	if strings.Contains(s.HostKey, "{{") {
		return nil // rendered from the deployment's outputs; kiln-test checks the result
	}
	if problem := hostKeyProblem(s.HostKey); problem != "" {
		return c.errorf(p+".host_key", "%s.host_key: %s", p, problem)
	}
	return nil
}

// hostKeyProblem says why text is not one or more public keys, one a line, in
// authorized_keys format or as ssh-keyscan prints them; "" if it is. It never quotes text,
// in case it holds a private key by mistake.
func hostKeyProblem(text string) string {
	if strings.Contains(text, "PRIVATE KEY") {
		return "holds a private key; give the server's public host key"
	}
	keys := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			_, _, _, _, _, err = ssh.ParseKnownHosts([]byte(line))
		}
		if err != nil {
			return `not a public key such as "ssh-ed25519 AAAA..."`
		}
		keys++
	}
	if keys == 0 {
		return "holds no public key, only comments"
	}
	return ""
}

package config

import (
	"strings"
	"testing"
)

// hostKey is a public ed25519 key, as authorized_keys holds it.
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbxV9VuEd8fFUJ1EJ6P8MSU6s0mGF9O8wbR3bZ2vFSU"

// sshCheck starts an ssh check at line 11 whose keys, one a line, start at line 13.
const sshCheck = base + "test:\n  checks:\n    - name: a\n      ssh:\n"

// gossCheck starts a goss check the same way.
const gossCheck = base + "test:\n  checks:\n    - name: a\n      goss:\n"

// conn are the connection keys, for lines 13 to 16.
const conn = "        address: 127.0.0.1:2222\n        user: root\n        private_key_file: keys/id\n        host_key: " + hostKey + "\n"

func TestSSHCheckValid(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		got        func(*Config) string
		want       string
	}{
		{"ssh", sshCheck + conn + "        command: systemctl is-active kiln-demo\n",
			func(c *Config) string {
				s := c.Test.Checks[0].SSH
				return strings.Join([]string{s.Address, s.User, s.PrivateKeyFile, s.Command, c.Test.Checks[0].Timeout.String()}, " ")
			}, "127.0.0.1:2222 root keys/id systemctl is-active kiln-demo 2m0s"},
		{"ssh exit code and stdout", sshCheck + conn + "        command: exit 3\n        exit_code: 3\n        stdout_contains: \"\"\n",
			func(c *Config) string { return strings.Repeat("x", c.Test.Checks[0].SSH.ExitCode) }, "xxx"},
		{"key from the environment", sshCheck + strings.Replace(conn, "private_key_file: keys/id", "private_key_env: SSH_KEY_FILE", 1) + "        command: \"true\"\n",
			func(c *Config) string { return c.Test.Checks[0].SSH.Connection().PrivateKeyEnv }, "SSH_KEY_FILE"},
		{"host key template", sshCheck + strings.Replace(conn, hostKey, `"{{ .Outputs.host_key }}"`, 1) + "        command: \"true\"\n",
			func(c *Config) string { return c.Test.Checks[0].SSH.HostKey }, "{{ .Outputs.host_key }}"},
		{"several host keys, keyscan format", sshCheck + strings.Replace(conn, "host_key: "+hostKey, "host_key: |\n          # dev-1\n          [127.0.0.1]:2222 "+hostKey+"\n          "+hostKey+" root@dev", 1) + "        command: \"true\"\n",
			func(c *Config) string {
				return strings.Repeat("k", strings.Count(c.Test.Checks[0].SSH.HostKey, "ssh-ed25519"))
			}, "kk"},
		{"goss", gossCheck + conn + "        gossfile: goss/goss.yaml\n",
			func(c *Config) string {
				g := c.Test.Checks[0].Goss
				return g.Gossfile + " binary=" + g.Binary + " " + g.Connection().User
			}, "goss/goss.yaml binary= root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.got(c); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSSHCheckErrors(t *testing.T) {
	run := "        command: \"true\"\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"ssh and tcp", base + "test:\n  checks:\n    - name: a\n      tcp: {address: x}\n      ssh: {address: x}\n",
			`kiln.yaml:13: test.checks[0]: has both tcp and ssh; a check does one thing`},
		{"http and goss", base + "test:\n  checks:\n    - name: a\n      goss: {address: x}\n      http: {url: x}\n",
			`kiln.yaml:13: test.checks[0]: has both goss and http; a check does one thing`},
		{"unknown key", sshCheck + conn + run + "        insecure: true\n", `kiln.yaml:18: unknown key "insecure" in test.checks[0].ssh`},
		{"exit code string", sshCheck + conn + run + "        exit_code: \"0\"\n", `kiln.yaml:18: test.checks[0].ssh.exit_code: expected an integer, got "0"`},
		{"ssh null", sshCheck, `kiln.yaml:11: test.checks[0]: needs one of http, tcp, ssh, goss or immutable`},
		{"ssh empty", strings.TrimSuffix(sshCheck, "\n") + " {}\n", `kiln.yaml:12: missing required key "address" in test.checks[0].ssh`},
		{"no user", sshCheck + strings.Replace(conn, "        user: root\n", "", 1) + run, `kiln.yaml:12: missing required key "user" in test.checks[0].ssh`},
		{"no key", sshCheck + strings.Replace(conn, "        private_key_file: keys/id\n", "", 1) + run,
			`kiln.yaml:12: test.checks[0].ssh: needs one of private_key_file or private_key_env`},
		{"both keys", sshCheck + conn + "        private_key_env: KEY\n" + run,
			`kiln.yaml:17: test.checks[0].ssh: has both private_key_file and private_key_env; give one`},
		{"key env name", sshCheck + strings.Replace(conn, "private_key_file: keys/id", "private_key_env: ssh-key", 1) + run,
			`kiln.yaml:15: test.checks[0].ssh.private_key_env: "ssh-key" is not an environment variable name`},
		{"no host key", sshCheck + strings.Replace(conn, "        host_key: "+hostKey+"\n", "", 1) + run,
			`kiln.yaml:12: missing required key "host_key" in test.checks[0].ssh: kiln always checks the server's host key`},
		{"empty host key", sshCheck + strings.Replace(conn, hostKey, `""`, 1) + run, `kiln.yaml:16: test.checks[0].ssh.host_key: must not be empty`},
		{"host key garbage", sshCheck + strings.Replace(conn, hostKey, "ssh-ed25519 c2VjcmV0", 1) + run,
			`kiln.yaml:16: test.checks[0].ssh.host_key: not a public key such as "ssh-ed25519 AAAA..."`},
		{"host key comments only", sshCheck + strings.Replace(conn, hostKey, `"# none"`, 1) + run,
			`kiln.yaml:16: test.checks[0].ssh.host_key: holds no public key, only comments`},
		{"private key as host key", sshCheck + strings.Replace(conn, hostKey, "|\n          -----BEGIN OPENSSH PRIVATE KEY-----\n          c2VjcmV0\n          -----END OPENSSH PRIVATE KEY-----", 1) + run,
			`kiln.yaml:16: test.checks[0].ssh.host_key: holds a private key; give the server's public host key`},
		{"no command", sshCheck + conn, `kiln.yaml:12: missing required key "command" in test.checks[0].ssh`},
		{"blank command", sshCheck + conn + "        command: \" \"\n", `kiln.yaml:17: test.checks[0].ssh.command: must not be empty`},
		{"exit code", sshCheck + conn + run + "        exit_code: 256\n", `kiln.yaml:18: test.checks[0].ssh.exit_code: 256 is not an exit code (0 to 255)`},
		{"goss no gossfile", gossCheck + conn, `kiln.yaml:12: missing required key "gossfile" in test.checks[0].goss`},
		{"goss no host key", gossCheck + strings.Replace(conn, "        host_key: "+hostKey+"\n", "", 1) + "        gossfile: g.yaml\n",
			`kiln.yaml:12: missing required key "host_key" in test.checks[0].goss: kiln always checks the server's host key`},
		{"goss empty binary", gossCheck + conn + "        gossfile: g.yaml\n        binary: \"\"\n",
			`kiln.yaml:18: test.checks[0].goss.binary: must not be empty; leave it out to use .tools/bin/goss`},
		{"goss command", gossCheck + conn + "        gossfile: g.yaml\n" + run, `kiln.yaml:18: unknown key "command" in test.checks[0].goss`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", c, tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
			assertConfigError(t, err)
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// twoEnvs has a dev and a prod environment; a test section appended to it starts at line 11.
const twoEnvs = `version: 1
image:
  family: demo
packer:
  template: packer/
environments:
  dev:
    terraform: tf/
  prod:
    terraform: tf/
`

// immutableCheck starts an immutable check at line 14 whose keys, one a line, start at line 15.
const immutableCheck = twoEnvs + "test:\n  checks:\n    - name: a\n      immutable:\n"

const factsURL = "        url: \"http://{{ .Outputs.address }}/facts\"\n"

func TestImmutableCheckValid(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       string
	}{
		{"defaults", immutableCheck + factsURL,
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=true services=[cron puppet chef-client salt-minion] packages=true envs=[dev] prod=[]"},
		{"over ssh", immutableCheck + strings.ReplaceAll(conn, "        ", "        "),
			"url= ssh=true ro=true services=[cron puppet chef-client salt-minion] packages=true envs=[dev] prod=[]"},
		{"no services, packages only", immutableCheck + factsURL + "        read_only_root: false\n        services_off: []\n",
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=false services=[] packages=true envs=[dev] prod=[]"},
		{"services listed, null means default", immutableCheck + factsURL + "        services_off:\n        packages_unchanged: false\n",
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=true services=[cron puppet chef-client salt-minion] packages=false envs=[dev] prod=[]"},
		{"unit names", immutableCheck + factsURL + "        services_off: [ssh.service, getty@tty1.service, systemd-journald]\n",
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=true services=[ssh.service getty@tty1.service systemd-journald] packages=true envs=[dev] prod=[]"},
		{"prod only", immutableCheck + factsURL + "      environments: [prod]\n",
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=true services=[cron puppet chef-client salt-minion] packages=true envs=[] prod=[a]"},
		{"dev and prod", immutableCheck + factsURL + "      environments: [dev, prod]\n",
			"url=http://{{ .Outputs.address }}/facts ssh=false ro=true services=[cron puppet chef-client salt-minion] packages=true envs=[a] prod=[a]"},
		{"https without template", immutableCheck + "        url: https://facts.example.com/facts\n",
			"url=https://facts.example.com/facts ssh=false ro=true services=[cron puppet chef-client salt-minion] packages=true envs=[dev] prod=[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if err != nil {
				t.Fatal(err)
			}
			m := c.Test.Checks[0].Immutable
			envs := "[dev]"
			if !c.Test.Checks[0].RunsIn("dev", c.Test.Environment) {
				envs = "[]"
			}
			if envs == "[dev]" && c.Test.Checks[0].Environments != nil {
				envs = "[a]"
			}
			got := "url=" + m.URL + " ssh=" + bstr(m.OverSSH()) + " ro=" + bstr(m.ReadOnly()) +
				" services=[" + strings.Join(m.Services(), " ") + "] packages=" + bstr(m.Packages()) +
				" envs=" + envs + " prod=" + names(c.Test.ChecksFor("prod"))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func bstr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func names(cs []Check) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return "[" + strings.Join(n, " ") + "]"
}

func TestImmutableCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", strings.TrimSuffix(immutableCheck, "\n") + " {}\n",
			`kiln.yaml:14: test.checks[0].immutable: needs url (a facts endpoint) or an SSH connection (address, user, private_key_file or private_key_env, host_key)`},
		{"null", immutableCheck, `kiln.yaml:13: test.checks[0]: needs one of http, tcp, ssh, goss or immutable`},
		{"url and address", immutableCheck + factsURL + "        address: 127.0.0.1:22\n",
			`kiln.yaml:16: test.checks[0].immutable: has both url and address; read the facts from an endpoint or over SSH, not both`},
		{"url and host key", immutableCheck + factsURL + "        host_key: " + hostKey + "\n",
			`kiln.yaml:16: test.checks[0].immutable: has both url and host_key; read the facts from an endpoint or over SSH, not both`},
		{"empty url", immutableCheck + "        url: \"\"\n", `kiln.yaml:15: test.checks[0].immutable.url: must not be empty`},
		{"ftp url", immutableCheck + "        url: ftp://host/facts\n", `kiln.yaml:15: test.checks[0].immutable.url: not an http:// or https:// URL with a host`},
		{"url without host", immutableCheck + "        url: \"http:///facts\"\n", `kiln.yaml:15: test.checks[0].immutable.url: not an http:// or https:// URL with a host`},
		{"templated ftp url", immutableCheck + "        url: \"ftp://{{ .Outputs.address }}/facts\"\n",
			`kiln.yaml:15: test.checks[0].immutable.url: the scheme "ftp" is not http or https`},
		{"password not quoted", immutableCheck + "        url: \"ftp://me:s3cr3t@host/facts\"\n", `kiln.yaml:15: test.checks[0].immutable.url: not an http:// or https:// URL with a host`},
		{"ssh without host key", immutableCheck + strings.Replace(conn, "        host_key: "+hostKey+"\n", "", 1),
			`kiln.yaml:14: missing required key "host_key" in test.checks[0].immutable: kiln always checks the server's host key`},
		{"ssh without user", immutableCheck + strings.Replace(conn, "        user: root\n", "", 1),
			`kiln.yaml:14: missing required key "user" in test.checks[0].immutable`},
		{"ssh without key", immutableCheck + strings.Replace(conn, "        private_key_file: keys/id\n", "", 1),
			`kiln.yaml:14: test.checks[0].immutable: needs one of private_key_file or private_key_env`},
		{"service with a space", immutableCheck + factsURL + "        services_off: [cron, \"puppet agent\"]\n",
			`kiln.yaml:16: test.checks[0].immutable.services_off[1]: "puppet agent" is not a systemd unit name such as cron or getty@tty1.service`},
		{"service like an option", immutableCheck + factsURL + "        services_off:\n          - cron\n          - --now\n",
			`kiln.yaml:18: test.checks[0].immutable.services_off[1]: "--now" is not a systemd unit name such as cron or getty@tty1.service`},
		{"service with a quote", immutableCheck + factsURL + "        services_off: [\"cron';reboot\"]\n",
			`kiln.yaml:16: test.checks[0].immutable.services_off[0]: "cron';reboot" is not a systemd unit name such as cron or getty@tty1.service`},
		{"service twice", immutableCheck + factsURL + "        services_off: [cron, cron.service]\n",
			`kiln.yaml:16: test.checks[0].immutable.services_off[1]: "cron.service" is listed twice`},
		{"asserts nothing", immutableCheck + factsURL + "        read_only_root: false\n        services_off: []\n        packages_unchanged: false\n",
			`kiln.yaml:14: test.checks[0].immutable: asserts nothing (read_only_root and packages_unchanged are false, services_off is empty)`},
		{"bool as string", immutableCheck + factsURL + "        read_only_root: \"yes\"\n",
			`kiln.yaml:16: test.checks[0].immutable.read_only_root: expected true or false, got "yes"`},
		{"unknown key", immutableCheck + factsURL + "        command: id\n", `kiln.yaml:16: unknown key "command" in test.checks[0].immutable`},
		{"immutable and http", twoEnvs + "test:\n  checks:\n    - name: a\n      http: {url: x}\n      immutable: {url: x}\n",
			`kiln.yaml:15: test.checks[0]: has both http and immutable; a check does one thing`},
		{"unknown environment", immutableCheck + factsURL + "      environments: [prod, staging]\n",
			`kiln.yaml:16: test.checks[0].environments[1]: no environment "staging" in environments (have dev, prod)`},
		{"environment twice", immutableCheck + factsURL + "      environments:\n        - prod\n        - prod\n",
			`kiln.yaml:18: test.checks[0].environments[1]: "prod" is listed twice`},
		{"no environment", immutableCheck + factsURL + "      environments: []\n",
			`kiln.yaml:16: test.checks[0].environments: names no environment; leave it out to run the check in test.environment (dev)`},
		{"environments on an http check", twoEnvs + "test:\n  checks:\n    - name: a\n      http: {url: x}\n      environments: [qa]\n",
			`kiln.yaml:15: test.checks[0].environments[0]: no environment "qa" in environments (have dev, prod)`},
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
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q quotes the password", err)
			}
		})
	}
}

// TestImmutableDigest: the test block's digest sees an immutable check's effective
// assertions (a default written out digests alike) and its environments; a test block
// without either key digests exactly as it did before they existed.
func TestImmutableDigest(t *testing.T) {
	digest := func(t *testing.T, yaml string) string {
		t.Helper()
		c, err := Parse([]byte(yaml), "kiln.yaml", "/repo")
		if err != nil {
			t.Fatal(err)
		}
		return c.ChecksDigest()
	}
	plain := immutableCheck + factsURL
	want := digest(t, plain)
	for _, tc := range []struct {
		name, yaml string
		same       bool
	}{
		{"defaults written out", plain + "        read_only_root: true\n        services_off: [cron, puppet, chef-client, salt-minion]\n        packages_unchanged: true\n", true},
		{"environments written out", plain + "      environments: [dev]\n", false},
		{"another service list", plain + "        services_off: [cron]\n", false},
		{"no services", plain + "        services_off: []\n", false},
		{"read-write root allowed", plain + "        read_only_root: false\n", false},
		{"packages not compared", plain + "        packages_unchanged: false\n", false},
		{"prod too", plain + "      environments: [dev, prod]\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := digest(t, tc.yaml); (got == want) != tc.same {
				t.Errorf("digest %s, base %s; want same = %v", got, want, tc.same)
			}
		})
	}

	t.Run("as before", func(t *testing.T) {
		// The Check of kiln.yaml before immutable checks and environments existed.
		type oldFields struct {
			Name     string
			HTTP     *HTTPCheck
			TCP      *TCPCheck
			SSH      *SSHCheck
			Goss     *GossCheck
			Timeout  Duration
			Interval Duration
		}
		type oldCheck struct {
			oldFields
			Timeout  string `json:"timeout"`
			Interval string `json:"interval"`
		}
		c, err := Parse([]byte(digestTests), "kiln.yaml", "/repo")
		if err != nil {
			t.Fatal(err)
		}
		v := struct {
			Environment string     `json:"environment"`
			Checks      []oldCheck `json:"checks"`
		}{Environment: c.Test.Environment}
		for _, ch := range c.Test.Checks {
			v.Checks = append(v.Checks, oldCheck{oldFields{ch.Name, ch.HTTP, ch.TCP, ch.SSH, ch.Goss, ch.Timeout, ch.Interval}, ch.Timeout.String(), ch.Interval.String()})
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if old, got := "sha256:"+hex.EncodeToString(sum[:]), c.Test.Digest(); got != old {
			t.Errorf("Digest() = %s, was %s", got, old)
		}
	})
}

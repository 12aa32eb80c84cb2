package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestLoadFull(t *testing.T) {
	c, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	want := &Config{
		Version:  1,
		Image:    Image{Family: "demo-web", Name: "{{ .Family }}-{{ .Date }}-{{ .Ref }}-{{ .ShortSHA }}"},
		Registry: Registry{Type: "local", Path: ".kiln/images"},
		Packer: Packer{
			Template: "packer/",
			Vars:     map[string]string{"app_version": "1.2.3", "debug": "false"},
			VarFiles: []string{"packer/common.pkrvars.hcl"},
			Build:    "qemu.image",
		},
		Environments: map[string]Environment{
			"dev": {
				Terraform: "terraform/", Workspace: "dev", ImageVar: "image_id",
				Vars: map[string]any{
					"instance_count": 1,
					"tags":           map[string]any{"team": "web", "cost-center": "42"},
					"ports":          []any{8080, 8443},
				},
				VarFiles:      []string{"terraform/dev.tfvars"},
				BackendConfig: map[string]string{"path": "state/dev.tfstate"},
				LockTimeout:   "30s",
			},
			"prod": {Terraform: "terraform/", Workspace: "prod", ImageVar: "vm_image", LockTimeout: "0s"},
		},
		Test: Test{Environment: "dev", Checks: []Check{
			{
				Name: "health",
				HTTP: &HTTPCheck{
					URL: "http://{{ .Outputs.address }}/healthz", Method: "GET", Status: 200,
					BodyContains: "ok", Headers: map[string]string{"Accept": "text/plain"},
				},
				Timeout: Duration{2 * time.Minute}, Interval: Duration{5 * time.Second},
			},
			{
				Name:    "ssh-port",
				TCP:     &TCPCheck{Address: "{{ .Outputs.ssh_address }}"},
				Timeout: Duration{2 * time.Minute}, Interval: Duration{2 * time.Second},
			},
			{
				Name: "service-active",
				SSH: &SSHCheck{
					Address: "{{ .Outputs.ssh_address }}", User: "root", PrivateKeyFile: "keys/id_ed25519",
					HostKey: "{{ .Outputs.ssh_host_key }}", Command: "systemctl is-active kiln-demo", StdoutContains: "active",
				},
				Timeout: Duration{3 * time.Minute}, Interval: Duration{2 * time.Second},
			},
			{
				Name: "goss",
				Goss: &GossCheck{
					Address: "{{ .Outputs.ssh_address }}", User: "kiln", PrivateKeyEnv: "SSH_KEY_FILE",
					HostKey:  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbxV9VuEd8fFUJ1EJ6P8MSU6s0mGF9O8wbR3bZ2vFSU host",
					Gossfile: "goss/goss.yaml", Binary: "tools/goss-linux-amd64",
				},
				Timeout: Duration{2 * time.Minute}, Interval: Duration{2 * time.Second},
			},
		}},
		Promote: Promote{From: "master", To: "stable", Environment: "prod",
			GitLab: PromoteGitLab{TestJob: "kiln-test", ArtifactPath: "out/kiln-image.json"}},
		Vault: &Vault{
			Address:   "https://vault.example.com",
			Namespace: "ci",
			Auth:      VaultAuth{Method: "jwt", Path: "jwt-gitlab", Role: "kiln-ci", TokenEnv: "VAULT_ID_TOKEN"},
			Secrets: []Secret{
				{Env: "AWS_ACCESS_KEY_ID", Path: "kv/data/ci/aws", Field: "access_key", Steps: []string{"bake", "deploy-dev", "promote"}, Engine: "kv2"},
				{Env: "SSH_KEY_FILE", Path: "kv/ci/ssh", Field: "private_key", File: true, Engine: "kv1", Steps: []string{"test"}},
				{Path: "database/creds/web", Engine: "dynamic", EnvPrefix: "DB_", Steps: []string{"deploy-dev"}},
				{Env: "DB_ROOT_PASSWORD", Path: "kv/data/ci/db", Field: "root", TFVar: "db_root_password", Steps: []string{"deploy-dev", "promote"}, Engine: "kv2"},
			},
		},
		File: "testdata/full.yaml",
		Dir:  dir,
	}
	got := *c
	got.lines = nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("Load(full.yaml)\n got: %#v\nwant: %#v", &got, want)
	}
	if l := c.Line("test.checks[1].tcp"); l != 43 {
		t.Errorf("Line(test.checks[1].tcp) = %d, want 43", l)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(base+"test:\n  checks:\n    - {name: up, http: {url: \"http://x/\"}}\nvault:\n  auth: {method: approle, secret_id_file: /run/sid}\n"), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"image.name", c.Image.Name, "{{ .Family }}-{{ .Timestamp }}-{{ .ShortSHA }}"},
		{"registry.type", c.Registry.Type, "local"},
		{"registry.path", c.Registry.Path, ".kiln/images"},
		{"workspace", c.Environments["dev"].Workspace, "dev"},
		{"image_var", c.Environments["dev"].ImageVar, "image_id"},
		{"lock_timeout", c.Environments["dev"].LockTimeout, "0s"},
		{"test.environment", c.Test.Environment, "dev"},
		{"check timeout", c.Test.Checks[0].Timeout.String(), "2m0s"},
		{"check interval", c.Test.Checks[0].Interval.String(), "2s"},
		{"http method", c.Test.Checks[0].HTTP.Method, "GET"},
		{"http status", fmt.Sprint(c.Test.Checks[0].HTTP.Status), "200"},
		{"promote.from", c.Promote.From, "master"},
		{"promote.to", c.Promote.To, "stable"},
		{"promote.environment", c.Promote.Environment, "prod"},
		{"promote.gitlab.test_job", c.Promote.GitLab.TestJob, "test"},
		{"promote.gitlab.artifact_path", c.Promote.GitLab.ArtifactPath, "kiln-image.json"},
		{"auth path", c.Vault.Auth.Path, "approle"},
		{"role_id_env", c.Vault.Auth.RoleIDEnv, "VAULT_ROLE_ID"},
		{"secret_id_env (file given)", c.Vault.Auth.SecretIDEnv, ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestValidVariants parses files that use the keys full.yaml cannot (other registries,
// other login methods) and YAML features (anchors, merge keys).
func TestValidVariants(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		got        func(*Config) string
		want       string
	}{
		{"gcp", base + "registry: {type: gcp, project: my-project}\n",
			func(c *Config) string { return c.Registry.Project + " path=" + c.Registry.Path }, "my-project path="},
		{"aws", base + "registry: {type: aws, region: eu-west-1}\n",
			func(c *Config) string { return c.Registry.Region }, "eu-west-1"},
		{"token", base + "vault:\n  auth: {method: token}\n",
			func(c *Config) string { return c.Vault.Auth.TokenEnv + " path=" + c.Vault.Auth.Path }, "VAULT_TOKEN path="},
		{"approle", base + "vault:\n  auth: {method: approle, path: ar, role_id_env: RID, secret_id_env: SID}\n",
			func(c *Config) string { a := c.Vault.Auth; return a.Path + " " + a.RoleIDEnv + " " + a.SecretIDEnv }, "ar RID SID"},
		{"jwt", base + "vault:\n  auth: {method: jwt, role: r}\n",
			func(c *Config) string { return c.Vault.Auth.Path + " " + c.Vault.Auth.TokenEnv }, "jwt VAULT_ID_TOKEN"},
		{"github", base + "vault:\n  auth: {method: github, role: r, audience: https://github.com/acme}\n",
			func(c *Config) string { return c.Vault.Auth.Path + " " + c.Vault.Auth.Audience }, "jwt https://github.com/acme"},
		{"jwt_file", base + "vault:\n  auth: {method: jwt_file, role: r, jwt_file: /var/run/token}\n",
			func(c *Config) string { return c.Vault.Auth.Path + " " + c.Vault.Auth.JWTFile }, "jwt /var/run/token"},
		{"dynamic with env and field", vaultBase + "    - {env: PW, field: password, engine: dynamic, path: db/creds/a, steps: [bake]}\n",
			func(c *Config) string { return c.Vault.Secrets[0].Engine }, "dynamic"},
		{"same env in different steps", vaultBase + "    - {env: A, path: kv/a, field: f, steps: [bake]}\n    - {env: A, path: kv/b, field: f, steps: [test]}\n",
			func(c *Config) string { return fmt.Sprint(len(c.Vault.Secrets)) }, "2"},
		{"merge keys", "version: 1\nimage: {family: demo}\npacker: {template: p}\n" +
			"environments:\n  dev: &env\n    terraform: tf/\n    vars: {size: small}\n  prod:\n    <<: *env\n    vars: {size: large}\n",
			func(c *Config) string {
				p := c.Environments["prod"]
				return fmt.Sprint(p.Terraform, " ", p.Workspace, " ", p.Vars["size"], " ", c.EnvironmentNames())
			}, "tf/ prod large [dev prod]"},
		{"aliases", base + "test:\n  checks:\n    - {name: a, tcp: &t {address: x}}\n    - {name: b, tcp: *t}\n",
			func(c *Config) string { return c.Test.Checks[1].TCP.Address }, "x"},
		{"scalars as strings", "version: 1\nimage: {family: demo}\npacker:\n  template: p\n  vars: {v: 1.10, on: yes, n: 3}\nenvironments: {dev: {terraform: t}}\n",
			func(c *Config) string { return fmt.Sprint(c.Packer.Vars) }, "map[n:3 on:yes v:1.10]"},
		{"empty sections", base + "test:\npromote:\nvault:\n",
			func(c *Config) string { return fmt.Sprint(c.Vault == nil, " ", c.Test.Environment) }, "true dev"},
		{"leading document marker", "---\n" + base,
			func(c *Config) string { return c.Image.Family }, "demo"},
		{"name from ref and sha", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ .Ref }}-{{ .SHA }}\"", 1),
			func(c *Config) string { return c.Image.Name }, "{{ .Ref }}-{{ .SHA }}"},
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

func TestPath(t *testing.T) {
	c := &Config{Dir: "/repo/ci"}
	for _, tc := range []struct{ in, want string }{
		{"packer/", "/repo/ci/packer"},
		{"terraform/dev.tfvars", "/repo/ci/terraform/dev.tfvars"},
		{"../shared/vars.hcl", "/repo/shared/vars.hcl"},
		{"", "/repo/ci"},
		{"/etc/kiln/x.hcl", "/etc/kiln/x.hcl"},
		{"/etc//kiln/../x", "/etc/x"},
	} {
		if got := c.Path(tc.in); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnv(t *testing.T) {
	c, err := Parse([]byte(base+"  prod:\n    terraform: tf/\n    workspace: production\n"), "ci/kiln.yaml", "/repo/ci")
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Env("prod")
	if err != nil || e.Workspace != "production" || e.ImageVar != "image_id" {
		t.Errorf("Env(prod) = %+v, %v", e, err)
	}
	_, err = c.Env("staging")
	if want := `ci/kiln.yaml:6: no environment "staging" in environments (have dev, prod)`; err == nil || err.Error() != want {
		t.Errorf("Env(staging) error = %v, want %s", err, want)
	}
	assertConfigError(t, err)
}

func TestErrorf(t *testing.T) {
	c, err := Parse([]byte(base), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"packer.template", `kiln.yaml:5: packer.template: no such file`},
		{"environments.dev.var_files", `kiln.yaml:7: environments.dev.var_files: no such file`}, // absent: its parent's line
		{"vault", `kiln.yaml:1: vault: no such file`},
		{"", `kiln.yaml:1: no such file`},
	} {
		err := c.Errorf(tc.path, "no such file")
		if err.Error() != tc.want {
			t.Errorf("Errorf(%q) = %q, want %q", tc.path, err, tc.want)
		}
		assertConfigError(t, err)
	}
}

func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "kiln.yaml")
	_, err := Load(missing)
	if want := missing + ": read config: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Load(missing) = %v, want %s", err, want)
	}
	assertConfigError(t, err)

	bad := filepath.Join(t.TempDir(), "kiln.yaml")
	if err := os.WriteFile(bad, []byte(base+"colour: red\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if want := bad + `:9: unknown key "colour" at the top level`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(base + "    vars:\n      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	_, err := Parse([]byte(b.String()), "kiln.yaml", "/repo")
	if err == nil || !strings.Contains(err.Error(), "aliases that expand too much") {
		t.Errorf("Parse(alias bomb) = %v, want a too-many-values error", err)
	}
	if exitcode.Of(err) != exitcode.Usage {
		t.Errorf("exit code %d", exitcode.Of(err))
	}
}

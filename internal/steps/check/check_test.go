package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/config"
)

const testKiln = `version: 1
image: {family: demo}
packer: {template: packer/}
environments:
  dev: {terraform: tf/}
test:
  checks:
    - name: service-active
      ssh:
        address: "{{ .Outputs.ssh_address }}"
        user: root
        private_key_file: keys/id_ed25519
        host_key: "{{ .Outputs.ssh_host_key }}"
        command: "curl -s localhost:8080/healthz"
        stdout_contains: "{{ .Image.Name }}"
    - name: goss
      goss:
        address: "{{ .Outputs.ssh_address }}"
        user: kiln
        private_key_env: SSH_KEY_FILE
        host_key: "{{ .Outputs.ssh_host_key }}"
        gossfile: goss/goss.yaml
`

func TestSpecsForSSHAndGoss(t *testing.T) {
	root := t.TempDir()
	cfgDir, work := filepath.Join(root, "ci"), filepath.Join(root, "ci", "work")
	tools := filepath.Join(root, ".tools", "bin")
	for _, d := range []string{work, tools} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(tools, "goss"), filepath.Join(root, "my-goss")} {
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := map[string]any{
		"Outputs": map[string]any{"ssh_address": "127.0.0.1:2222", "ssh_host_key": "ssh-ed25519 AAAA host"},
		"Image":   map[string]string{"Name": "demo-20261121-abc"},
	}
	tests := []struct {
		name     string
		yaml     string
		env      map[string]string
		flag     string
		wantErr  string
		wantSpec []string
	}{
		{name: "defaults", env: map[string]string{"SSH_KEY_FILE": "secrets/key"}, wantSpec: []string{
			"ssh 127.0.0.1:2222 root " + filepath.Join(cfgDir, "keys/id_ed25519") + " [ssh-ed25519 AAAA host] curl -s localhost:8080/healthz 0 demo-20261121-abc",
			"goss 127.0.0.1:2222 kiln " + filepath.Join(work, "secrets/key") + " [ssh-ed25519 AAAA host] " + filepath.Join(cfgDir, "goss/goss.yaml") + " " + filepath.Join(tools, "goss"),
		}},
		{name: "absolute key path, goss flag", env: map[string]string{"SSH_KEY_FILE": "/run/key"}, flag: "../../my-goss", wantSpec: []string{
			"", "goss 127.0.0.1:2222 kiln /run/key [ssh-ed25519 AAAA host] " + filepath.Join(cfgDir, "goss/goss.yaml") + " " + filepath.Join(root, "my-goss"),
		}},
		{name: "binary in kiln.yaml wins", yaml: strings.Replace(testKiln, "gossfile: goss/goss.yaml", "gossfile: goss/goss.yaml\n        binary: ../my-goss", 1),
			env: map[string]string{"SSH_KEY_FILE": "/run/key"}, flag: "/nope", wantSpec: []string{
				"", "goss 127.0.0.1:2222 kiln /run/key [ssh-ed25519 AAAA host] " + filepath.Join(cfgDir, "goss/goss.yaml") + " " + filepath.Join(root, "my-goss"),
			}},
		{name: "key variable unset", wantErr: "check goss: goss.private_key_env: SSH_KEY_FILE is not set; it should hold the path of the private key"},
		{name: "missing output", yaml: strings.Replace(testKiln, ".Outputs.ssh_host_key", ".Outputs.host_key", 1), env: map[string]string{"SSH_KEY_FILE": "k"},
			wantErr: `check service-active: ssh.host_key: render "{{ .Outputs.host_key }}": .Outputs.host_key is not set (no key "host_key"; have: ssh_address, ssh_host_key)`},
		{name: "goss flag missing", env: map[string]string{"SSH_KEY_FILE": "k"}, flag: "/nope",
			wantErr: "check goss: goss binary /nope: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := tt.yaml
			if yaml == "" {
				yaml = testKiln
			}
			cfg, err := config.Parse([]byte(yaml), "ci/kiln.yaml", cfgDir)
			if err != nil {
				t.Fatal(err)
			}
			rm := remote{cfg: cfg, getenv: func(k string) string { return tt.env[k] }, dir: work, gossFlag: tt.flag}
			specs, err := specsFor(cfg.Test.Checks, data, rm)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, g := specs[0], specs[1]
			got := []string{
				strings.Join([]string{s.Kind, s.SSH.Address, s.SSH.User, s.SSH.PrivateKeyFile, "[" + s.SSH.HostKey + "]", s.SSH.Command, "0", s.SSH.StdoutContains}, " "),
				strings.Join([]string{g.Kind, g.Goss.Address, g.Goss.User, g.Goss.PrivateKeyFile, "[" + g.Goss.HostKey + "]", g.Goss.Gossfile, g.Goss.Binary}, " "),
			}
			for i, want := range tt.wantSpec {
				if want != "" && got[i] != want {
					t.Errorf("spec %d:\n got %s\nwant %s", i, got[i], want)
				}
			}
		})
	}
}

// A new slot of prod runs the checks listing prod; with none, those of test.environment.
func TestSlotChecks(t *testing.T) {
	names := func(cs []config.Check) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, " ")
	}
	test := config.Test{Environment: "dev", Checks: []config.Check{
		{Name: "a"}, {Name: "b", Environments: []string{"dev", "prod"}}, {Name: "c", Environments: []string{"prod"}}, {Name: "d", Environments: []string{"staging"}},
	}}
	if got := names(SlotChecks(test, "prod")); got != "b c" {
		t.Errorf("prod's slot runs %q, want b c", got)
	}
	if got := names(SlotChecks(test, "qa")); got != "a b" {
		t.Errorf("qa's slot runs %q, want the tests' a b", got)
	}
}

package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// vaultToken is a vault block at lines 9-10 of base, for the transit cases.
const vaultToken = base + "vault:\n  auth: {method: token}\n"

// loadFile writes content to kiln.yaml in a new directory and loads it; it returns the
// file's path for the messages.
func loadFile(t *testing.T, content string) (*Config, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiln.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	return c, path, err
}

// TestAttestValid checks the attest blocks Load accepts, with their defaults.
func TestAttestValid(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Attest
	}{
		{"public key only", base + "attest:\n  public_key: keys/attest.pub\n",
			Attest{PublicKey: "keys/attest.pub", PrivateKeyEnv: "KILN_ATTEST_KEY"}},
		{"public key and key variable", base + "attest:\n  public_key: keys/attest.pub\n  private_key_env: CI_ATTEST_KEY_FILE\n",
			Attest{PublicKey: "keys/attest.pub", PrivateKeyEnv: "CI_ATTEST_KEY_FILE"}},
		{"empty key variable takes the default", base + "attest:\n  public_key: k.pub\n  private_key_env: \"\"\n",
			Attest{PublicKey: "k.pub", PrivateKeyEnv: "KILN_ATTEST_KEY"}},
		{"transit", vaultToken + "attest:\n  transit:\n    key: kiln-attest\n",
			Attest{Transit: &AttestTransit{Mount: "transit", Key: "kiln-attest"}, PrivateKeyEnv: "KILN_ATTEST_KEY"}},
		{"transit at a mount, with a public key", vaultToken + "attest:\n  transit: {mount: ci/transit, key: kiln}\n  public_key: k.pub\n",
			Attest{Transit: &AttestTransit{Mount: "ci/transit", Key: "kiln"}, PublicKey: "k.pub", PrivateKeyEnv: "KILN_ATTEST_KEY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := loadFile(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			if c.Attest == nil {
				t.Fatal("no attest block")
			}
			got := *c.Attest
			if got.PublicKey != tc.want.PublicKey || got.PrivateKeyEnv != tc.want.PrivateKeyEnv ||
				(got.Transit == nil) != (tc.want.Transit == nil) || got.Transit != nil && *got.Transit != *tc.want.Transit {
				t.Errorf("attest = %+v (transit %+v), want %+v (transit %+v)", got, got.Transit, tc.want, tc.want.Transit)
			}
		})
	}
	c, _, err := loadFile(t, base)
	if err != nil || c.Attest != nil {
		t.Errorf("without an attest block: %+v, %v; want a nil Attest", c, err)
	}
}

// TestAttestErrors checks each refusal of the attest block, at its line.
func TestAttestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want follows "<path>:"
	}{
		{"transit without a vault block", base + "attest:\n  transit:\n    key: kiln\n",
			"10: attest.transit: needs a vault block to log in with"},
		{"transit without a key", vaultToken + "attest:\n  transit:\n    mount: transit\n",
			`12: missing required key "key" in attest.transit`},
		{"transit with an empty key", vaultToken + "attest:\n  transit:\n    key: \"\"\n",
			"13: attest.transit.key: must not be empty"},
		{"transit with a bad key", vaultToken + "attest:\n  transit:\n    key: my key\n",
			`13: attest.transit.key: "my key" is not a key name`},
		{"transit with a bad mount", vaultToken + "attest:\n  transit:\n    mount: /transit/\n    key: kiln\n",
			`13: attest.transit.mount: "/transit/" is not a mount path such as "transit"`},
		{"transit with a key variable", vaultToken + "attest:\n  transit: {key: kiln}\n  private_key_env: KEY\n",
			"13: attest.private_key_env: transit signs; leave it out"},
		{"neither", base + "attest:\n  private_key_env: CI_KEY\n",
			"9: attest: set transit (a Vault transit key) or public_key (a PEM file; kiln-test signs with the private key whose path is in $CI_KEY)"},
		{"empty block", base + "attest: {}\n",
			"9: attest: set transit (a Vault transit key) or public_key (a PEM file; kiln-test signs with the private key whose path is in $KILN_ATTEST_KEY)"},
		{"key variable with a dash", base + "attest:\n  public_key: k.pub\n  private_key_env: CI-KEY\n",
			`11: attest.private_key_env: "CI-KEY" is not a variable name`},
		{"key variable with a digit first", base + "attest:\n  private_key_env: 1KEY\n  public_key: k.pub\n",
			`10: attest.private_key_env: "1KEY" is not a variable name`},
		{"key variable with a dollar", base + "attest:\n  public_key: k.pub\n  private_key_env: $KEY\n",
			`11: attest.private_key_env: "$KEY" is not a variable name`},
		{"unknown key", base + "attest:\n  public_key: k.pub\n  private_key: k.key\n",
			`11: unknown key "private_key" in attest`},
		{"transit as a string", vaultToken + "attest:\n  transit: kiln\n",
			`12: attest.transit: expected a mapping, got "kiln"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, path, err := loadFile(t, tc.yaml)
			if want := path + ":" + tc.want; err == nil || err.Error() != want {
				t.Fatalf("Load = %v\nwant %s", err, want)
			}
			assertConfigError(t, err)
		})
	}
}

// TestPromoteTargetErrors checks that kiln.yaml cannot test in the promote environment, nor
// declare another environment that deploys into its Terraform state.
func TestPromoteTargetErrors(t *testing.T) {
	const prod = base + "  prod:\n    terraform: tf-prod/\n" // lines 9-10
	for _, tc := range []struct {
		name, yaml string
		want       string // follows "<path>:"; "" for valid
	}{
		{"test in prod", prod + "test:\n  environment: prod\n",
			`12: test.environment: "prod" is promote.environment; images are tested before they reach it, not in it`},
		{"alias of prod", prod + "  live:\n    terraform: ./tf-prod\n    workspace: prod\n",
			"11: environments.live: deploys into the same Terraform state as prod, the promote environment (same terraform, workspace and backend)"},
		{"alias listed first", base + "  live:\n    terraform: tf-prod\n    workspace: prod\n  prod:\n    terraform: tf-prod/\n",
			"9: environments.live: deploys into the same Terraform state as prod"},
		{"alias with the same backend", prod + "    backend_config: {path: prod.tfstate}\n" +
			"  live:\n    terraform: tf-prod\n    workspace: prod\n    backend_config: {path: prod.tfstate}\n",
			"12: environments.live: deploys into the same Terraform state as prod"},
		{"alias through gitlab_state", base + "  prod:\n    terraform: tf/\n    gitlab_state: prod\n" +
			"  live:\n    terraform: tf/\n    gitlab_state: prod\n",
			"12: environments.live: deploys into the same Terraform state as prod"},
		{"alias of another promote environment", base + "  production:\n    terraform: tf/\n  blue:\n    terraform: tf\n    workspace: production\n" +
			"promote:\n  environment: production\n",
			"11: environments.blue: deploys into the same Terraform state as production"},

		{"another workspace", prod + "  live:\n    terraform: tf-prod\n    workspace: live\n", ""},
		{"another backend", prod + "  live:\n    terraform: tf-prod\n    workspace: prod\n    backend_config: {path: live.tfstate}\n", ""},
		{"another GitLab state", base + "  prod:\n    terraform: tf/\n    gitlab_state: prod\n  live:\n    terraform: tf/\n    gitlab_state: live\n", ""},
		{"dev and prod in one directory", base + "  prod:\n    terraform: tf/\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, path, err := loadFile(t, tc.yaml)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load = %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), path+":"+tc.want) {
				t.Fatalf("Load = %v\nwant %s:%s", err, path, tc.want)
			}
			assertConfigError(t, err)
		})
	}
}

// TestPromoteTargetAbsolute checks that an absolute path to prod's directory is an alias too.
func TestPromoteTargetAbsolute(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiln.yaml")
	yaml := base + "  prod:\n    terraform: tf-prod/\n  live:\n    terraform: " + filepath.Join(dir, "tf-prod") + "\n    workspace: prod\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + ":11: environments.live: deploys into the same Terraform state as prod"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Load = %v, want %s...", err, want)
	}
}

// TestPromoteToTestEnvironment checks that promoting to the (default) test environment is
// refused, naming the conflict at the line of the key that makes it: promote.environment.
func TestPromoteToTestEnvironment(t *testing.T) {
	_, path, err := loadFile(t, base+"promote:\n  environment: dev\n") // promote.environment is line 10
	if err == nil || !strings.Contains(err.Error(), `test.environment: "dev" is promote.environment`) {
		t.Fatalf("Load = %v, want test.environment refused", err)
	}
	assertConfigError(t, err)
	t.Run("line", func(t *testing.T) {
		if want := path + ":10: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Load = %v, want it at %s", err, want)
		}
	})
}

// digestTests is a test block in block style; digestFlow is the same in flow style.
const (
	digestTests = base + `test:
  checks:
    - name: health
      http:
        url: "http://{{ .Outputs.address }}/healthz"
        body_contains: ok
        headers:
          Accept: text/plain
          X-Kiln: "1"
      timeout: 1m
    - name: port
      tcp:
        address: "{{ .Outputs.address }}"
`
	digestFlow = base + `test: {checks: [{name: health, timeout: 1m, http: {headers: {X-Kiln: "1", Accept: text/plain}, body_contains: ok, url: "http://{{ .Outputs.address }}/healthz"}}, {name: port, tcp: {address: "{{ .Outputs.address }}"}}]}
`
)

// TestTestDigest checks that the digest of the test block follows what kiln runs, not how
// kiln.yaml spells it.
func TestTestDigest(t *testing.T) {
	digest := func(t *testing.T, yaml string) string {
		t.Helper()
		c, _, err := loadFile(t, yaml)
		if err != nil {
			t.Fatal(err)
		}
		return c.Test.Digest()
	}
	want := digest(t, digestTests)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(want) {
		t.Fatalf("Digest() = %q, want sha256:<64 hex>", want)
	}
	for _, tc := range []struct {
		name, yaml string
		same       bool
	}{
		{"loaded again, from another directory", digestTests, true},
		{"flow style", digestFlow, true},
		{"comments and spacing", strings.ReplaceAll(strings.Replace(digestTests, "test:\n", "# the checks\ntest:   \n", 1), "\n", "\n\n"), true},
		{"defaults written out", strings.NewReplacer(
			"test:\n", "test:\n  environment: dev\n",
			"      http:\n", "      http:\n        method: GET\n        status: 200\n",
			"      timeout: 1m\n", "      timeout: 60s\n      interval: 2s\n",
			"    - name: port\n", "    - name: port\n      timeout: 2m\n      interval: 2000ms\n",
		).Replace(digestTests), true},
		{"another timeout", strings.Replace(digestTests, "timeout: 1m", "timeout: 90s", 1), false},
		{"another interval", strings.Replace(digestTests, "timeout: 1m", "timeout: 1m\n      interval: 5s", 1), false},
		{"another URL", strings.Replace(digestTests, "/healthz", "/", 1), false},
		{"another body", strings.Replace(digestTests, "body_contains: ok", "body_contains: OK", 1), false},
		{"another header", strings.Replace(digestTests, `X-Kiln: "1"`, `X-Kiln: "2"`, 1), false},
		{"another status", strings.Replace(digestTests, "      http:\n", "      http:\n        status: 204\n", 1), false},
		{"another name", strings.Replace(digestTests, "name: port", "name: tcp-port", 1), false},
		{"a check fewer", digestTests[:strings.Index(digestTests, "    - name: port")], false},
		{"checks swapped", base + "test:\n  checks:\n    - {name: port, tcp: {address: \"{{ .Outputs.address }}\"}}\n" +
			"    - {name: health, timeout: 1m, http: {url: \"http://{{ .Outputs.address }}/healthz\", body_contains: ok, headers: {Accept: text/plain, X-Kiln: \"1\"}}}\n", false},
		// An environment the checks do not run in is not part of the test block.
		{"another environment declared", strings.Replace(digestTests, "  dev:\n", "  staging:\n    terraform: tf/\n  dev:\n", 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := digest(t, tc.yaml); (got == want) != tc.same {
				t.Errorf("Digest() = %s, base %s; want same = %v", got, want, tc.same)
			}
		})
	}
	t.Run("test.environment", func(t *testing.T) {
		yaml := strings.Replace(digestTests, "  dev:\n", "  staging:\n    terraform: tf/\n  dev:\n", 1)
		yaml = strings.Replace(yaml, "test:\n", "test:\n  environment: staging\n", 1)
		if got := digest(t, yaml); got == want {
			t.Errorf("Digest() is the same with test.environment staging")
		}
	})
	t.Run("an alias", func(t *testing.T) {
		url := `"http://{{ .Outputs.address }}/healthz"`
		plain := strings.Replace(digestTests, `address: "{{ .Outputs.address }}"`, "address: "+url, 1)
		aliased := strings.NewReplacer("url: "+url, "url: &u "+url, "address: "+url, "address: *u").Replace(plain)
		if a, b := digest(t, plain), digest(t, aliased); a != b {
			t.Errorf("Digest() = %s with an alias, %s without", b, a)
		}
	})
	t.Run("same file twice", func(t *testing.T) {
		c1, path, err := loadFile(t, digestTests)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := c1.Test.Digest(), c2.Test.Digest(); a != b || a != want {
			t.Errorf("Digest() = %s, then %s; want %s", a, b, want)
		}
	})
}

// TestChecksDigestGossfile: editing a goss check's gossfile changes ChecksDigest; without
// goss checks it is Test.Digest.
func TestChecksDigestGossfile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kiln.yaml")
	yaml := "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: tf/}}\n" +
		"test:\n  checks:\n    - name: g\n      goss: {address: \"a:22\", user: root, private_key_file: k, host_key: \"{{ .Outputs.host_key }}\", gossfile: goss.yaml}\n"
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	digest := func(goss string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "goss.yaml"), []byte(goss), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ChecksDigest() == cfg.Test.Digest() {
			t.Fatal("ChecksDigest ignores the gossfile")
		}
		return cfg.ChecksDigest()
	}
	a, b := digest("port:\n  tcp:22: {listening: true}\n"), digest("port:\n  tcp:80: {listening: true}\n")
	if a == b {
		t.Fatal("a different gossfile gives the same ChecksDigest")
	}
	if a != digest("port:\n  tcp:22: {listening: true}\n") {
		t.Fatal("ChecksDigest is not stable")
	}
}

// TestSecretNamesKilnSets: a secret may not take a variable kiln sets for its child tools
// (a name, a TF_HTTP_ prefix, an env_prefix covering one), nor an environment's image
// variable; each is refused at load with its line.
func TestSecretNamesKilnSets(t *testing.T) {
	const head = "version: 1\nimage: {family: web}\npacker: {template: p}\nenvironments: {dev: {terraform: tf/, image_var: ami}}\n" +
		"vault:\n  auth: {method: token}\n  secrets:\n"
	for _, tc := range []struct{ secret, want string }{
		{"    - {env: PKR_VAR_base_image, path: kv/a, field: f, steps: [bake]}\n", "kiln sets PKR_VAR_base_image itself"},
		{"    - {env: TF_HTTP_PASSWORD, path: kv/a, field: f, steps: [deploy-dev]}\n", "kiln sets TF_HTTP_ itself"},
		{"    - {env: TMPDIR, path: kv/a, field: f, steps: [bake]}\n", "kiln sets TMPDIR itself"},
		{"    - {env_prefix: TF_, path: aws/creds/x, engine: dynamic, steps: [bake]}\n", "kiln sets TF_DATA_DIR itself"},
		{"    - {env: AMI, path: kv/a, field: f, tf_var: ami, steps: [deploy-dev]}\n", "ami is environment dev's image variable"},
	} {
		path := filepath.Join(t.TempDir(), "kiln.yaml")
		if err := os.WriteFile(path, []byte(head+tc.secret), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "kiln.yaml:8:") {
			t.Errorf("Load(%q) = %v, want line 8 and %q", tc.secret, err, tc.want)
		}
	}
}

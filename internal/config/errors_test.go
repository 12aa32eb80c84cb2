package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// base is the smallest valid kiln.yaml; cases append to it from line 9 on
// (indented lines continue environments.dev).
const base = `version: 1
image:
  family: demo
packer:
  template: packer/
environments:
  dev:
    terraform: tf/
`

// vaultBase starts a vault section at line 9; a secret appended to it is at line 12.
const vaultBase = base + `vault:
  auth: { method: token }
  secrets:
`

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		// Whole-file problems.
		{"empty", "", `kiln.yaml: file is empty; it needs at least version, image, packer and environments`},
		{"comments only", "# nothing\n", `kiln.yaml: file is empty; it needs at least version, image, packer and environments`},
		{"list at top", "- version: 1\n", `kiln.yaml:1: expected a mapping at the top level, got a list`},
		{"scalar at top", "hello\n", `kiln.yaml:1: expected a mapping at the top level, got "hello"`},
		{"two documents", base + "---\nversion: 1\n", `kiln.yaml:9: a second YAML document starts here; kiln.yaml holds exactly one`},
		{"syntax error", base + "test: [a,\n", `kiln.yaml:9: invalid YAML: did not find expected node content`},
		{"bad indentation", "version: 1\nimage:\n  family: a\n   name: b\n", `kiln.yaml:4: invalid YAML: mapping values are not allowed in this context`},
		{"unknown alias", base + "test:\n  environment: *nope\n", `kiln.yaml:10: invalid YAML: alias *nope names no anchor`},
		{"non-string key", "? [a]\n: b\n", `kiln.yaml:1: top level: expected a string key, got a list`},

		// Version.
		{"no version", "image: {family: demo}\n", `kiln.yaml:1: missing required key "version" at the top level`},
		{"version 2 before unknown keys", "version: 2\nnew_key: 1\n", `kiln.yaml:1: version: unsupported schema version 2; this kiln reads version 1`},
		{"version string", "version: one\n", `kiln.yaml:1: version: expected an integer, got "one"`},
		{"version empty", strings.Replace(base, "version: 1", "version:", 1), `kiln.yaml:1: version: must be 1`},

		// Unknown and duplicate keys, everywhere.
		{"unknown top", base + "colour: red\n", `kiln.yaml:9: unknown key "colour" at the top level`},
		{"unknown in image", "version: 1\nimage:\n  family: demo\n  colour: red\n", `kiln.yaml:4: unknown key "colour" in image`},
		{"unknown in environment", base + "    colour: red\n", `kiln.yaml:9: unknown key "colour" in environments.dev`},
		{"unknown in check", base + "test:\n  checks:\n    - name: a\n      tcp: {address: x}\n      colour: red\n", `kiln.yaml:13: unknown key "colour" in test.checks[0]`},
		{"unknown in http", base + "test:\n  checks:\n    - name: a\n      http: {url: x, colour: red}\n", `kiln.yaml:12: unknown key "colour" in test.checks[0].http`},
		{"unknown in vault auth", base + "vault:\n  auth: {method: token, colour: red}\n", `kiln.yaml:10: unknown key "colour" in vault.auth`},
		{"unknown in secret", vaultBase + "    - {env: A, colour: red}\n", `kiln.yaml:12: unknown key "colour" in vault.secrets[0]`},
		{"unknown in registry", base + "registry: {kind: gcp}\n", `kiln.yaml:9: unknown key "kind" in registry`},
		{"duplicate key", "version: 1\nimage:\n  family: a\n  family: b\n", `kiln.yaml:4: duplicate key "family" in image`},

		// Types.
		{"image scalar", "version: 1\nimage: demo\n", `kiln.yaml:2: image: expected a mapping, got "demo"`},
		{"family list", "version: 1\nimage:\n  family: [a]\n", `kiln.yaml:3: image.family: expected a string, got a list`},
		{"environments list", "version: 1\nenvironments: [dev]\n", `kiln.yaml:2: environments: expected a mapping, got a list`},
		{"checks mapping", base + "test:\n  checks:\n    a: 1\n", `kiln.yaml:10: test.checks: expected a list, got a mapping`},
		{"packer var list", "version: 1\npacker:\n  vars: {a: [1]}\n", `kiln.yaml:3: packer.vars.a: expected a string, got a list`},
		{"status string", base + "test:\n  checks:\n    - name: a\n      http: {url: x, status: \"200\"}\n", `kiln.yaml:12: test.checks[0].http.status: expected an integer, got "200"`},
		{"timeout number", base + "test:\n  checks:\n    - name: a\n      tcp: {address: x}\n      timeout: 5\n", `kiln.yaml:13: test.checks[0].timeout: expected a duration such as "30s" or "2m", got "5"`},
		{"file yes", vaultBase + "    - {env: A, path: kv/a, field: f, steps: [bake], file: yes}\n", `kiln.yaml:12: vault.secrets[0].file: expected true or false, got "yes"`},
		{"infinite var", base + "    vars: {x: .inf}\n", `kiln.yaml:9: environments.dev.vars.x: expected a finite number, got ".inf"`},
		{"alias cycle", base + "    vars: &v {a: *v}\n", `kiln.yaml:9: nested more than 64 levels deep (or an anchor contains itself)`},
		{"bad merge", base + "    <<: [1]\n", `kiln.yaml:9: environments.dev: merge key << expects a mapping or a list of mappings`},

		// Required keys, at the parent's line.
		{"no image", "version: 1\npacker: {template: p}\n", `kiln.yaml:1: missing required key "image" at the top level`},
		{"no family", "version: 1\nimage:\n  name: x\n", `kiln.yaml:2: missing required key "family" in image`},
		{"empty family", "version: 1\nimage:\n  family: \"\"\n", `kiln.yaml:3: image.family: must not be empty`},
		{"no packer", "version: 1\nimage: {family: demo}\n", `kiln.yaml:1: missing required key "packer" at the top level`},
		{"no template", "version: 1\nimage: {family: demo}\npacker:\n  vars: {}\n", `kiln.yaml:3: missing required key "template" in packer`},
		{"no environments", "version: 1\nimage: {family: demo}\npacker: {template: p}\n", `kiln.yaml:1: missing required key "environments" at the top level`},
		{"empty environments", "version: 1\nimage: {family: demo}\npacker: {template: p}\nenvironments: {}\n", `kiln.yaml:4: environments: at least one environment is required`},
		{"no terraform", "version: 1\nimage: {family: demo}\npacker: {template: p}\nenvironments:\n  dev:\n    workspace: d\n", `kiln.yaml:5: missing required key "terraform" in environments.dev`},
		{"null environment", "version: 1\nimage: {family: demo}\npacker: {template: p}\nenvironments:\n  dev:\n", `kiln.yaml:5: missing required key "terraform" in environments.dev`},

		// Image names.
		{"family uppercase", strings.Replace(base, "family: demo", "family: Demo", 1), `kiln.yaml:3: image.family: "Demo" must start with a lowercase letter`},
		{"family underscore", strings.Replace(base, "family: demo", "family: demo_web", 1), `kiln.yaml:3: image.family: "demo_web" may hold only lowercase letters, digits and hyphens, not '_'`},
		{"family too long", strings.Replace(base, "family: demo", "family: "+strings.Repeat("a", 64), 1), `kiln.yaml:3: image.family: "` + strings.Repeat("a", 64) + `" is 64 characters long; the limit is 63`},
		{"name too long", strings.Replace(base, "family: demo", "family: "+strings.Repeat("a", 40), 1), `kiln.yaml:3: image.family: with the default image.name, image name "` + strings.Repeat("a", 40) + `-20260102030405-01234567" is 64 characters long; the limit is 63`},
		{"name unparsable", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ .Family \"", 1), `kiln.yaml:4: image.name: parse image name template: template: image.name:1: unclosed action`},
		{"name unknown field", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ .Branch }}\"", 1), `kiln.yaml:4: image.name: unknown field .Branch (have .Family .Timestamp .Date .SHA .ShortSHA .Ref)`},
		{"name loop", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ range 5 }}a{{ end }}\"", 1), `kiln.yaml:4: image.name: parse image name template: "{{range 5}}a{{end}}" is not allowed in a name template`},
		{"name constant", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ .Family }}-{{ .Ref }}\"", 1), `kiln.yaml:4: image.name: renders "demo-master" for every build; use .Timestamp or .SHA`},
		{"name trailing hyphen", strings.Replace(base, "family: demo", "family: demo\n  name: \"{{ .Family }}-{{ .Date }}-\"", 1), `kiln.yaml:4: image.name: image name "demo-20260102-" must not end with a hyphen`},

		// Registry and Packer.
		{"registry type", base + "registry: {type: azure}\n", `kiln.yaml:9: registry.type: "azure" is not one of local, gcp, aws, oci`},
		{"registry path gcp", base + "registry:\n  type: gcp\n  path: x\n", `kiln.yaml:11: registry.path: only used with type local, not gcp`},
		{"registry project local", base + "registry:\n  project: p\n", `kiln.yaml:10: registry.project: only used with type gcp, not local`},
		{"registry region gcp", base + "registry:\n  type: gcp\n  region: eu-west-1\n", `kiln.yaml:11: registry.region: only used with type aws, not gcp`},
		{"packer reserved var", "version: 1\nimage: {family: demo}\npacker:\n  template: p\n  vars:\n    image_name: x\n", `kiln.yaml:6: packer.vars: "image_name" is set by kiln itself`},
		{"packer bad var", "version: 1\nimage: {family: demo}\npacker:\n  template: p\n  vars:\n    1x: x\n", `kiln.yaml:6: packer.vars: "1x" is not a valid variable name`},
		{"packer empty var file", "version: 1\nimage: {family: demo}\npacker:\n  template: p\n  var_files:\n    - a\n    - \"\"\n", `kiln.yaml:7: packer.var_files[1]: file name must not be empty`},
		{"packer build", "version: 1\nimage: {family: demo}\npacker:\n  template: p\n  build: \"a b\"\n", `kiln.yaml:5: packer.build: "a b" is not a build name such as "file.image"`},

		// Environments.
		{"environment name", base + "  Prod:\n    terraform: tf/\n", `kiln.yaml:9: environments: "Prod" is not a valid name: lowercase letters, digits, - and _, starting with a letter`},
		{"workspace", base + "    workspace: \"a b\"\n", `kiln.yaml:9: environments.dev.workspace: "a b" is not a valid Terraform workspace name`},
		{"image var", base + "    image_var: 1x\n", `kiln.yaml:9: environments.dev.image_var: "1x" is not a valid Terraform variable name`},
		{"var is image var", base + "    vars:\n      other: 1\n      image_id: x\n", `kiln.yaml:11: environments.dev.vars: "image_id" receives the image id; kiln sets it`},
		{"lock timeout", base + "    lock_timeout: soon\n", `kiln.yaml:9: environments.dev.lock_timeout: "soon" is not a duration such as "30s" or "5m"`},
		{"second environment bad", base + "  prod:\n    workspace: p\n", `kiln.yaml:9: missing required key "terraform" in environments.prod`},

		// Test.
		{"test environment unknown", base + "test:\n  environment: qa\n", `kiln.yaml:10: test.environment: no environment "qa" in environments`},
		{"default test environment missing", strings.Replace(base, "  dev:", "  qa:", 1) + "test:\n  checks:\n    - {name: a, tcp: {address: x}}\n", `kiln.yaml:9: test.environment: no environment "dev" in environments`},
		{"check no name", base + "test:\n  checks:\n    - tcp: {address: x}\n", `kiln.yaml:11: missing required key "name" in test.checks[0]`},
		{"check duplicate name", base + "test:\n  checks:\n    - {name: a, tcp: {address: x}}\n    - {name: a, tcp: {address: y}}\n", `kiln.yaml:12: test.checks[1].name: "a" is already the name of test.checks[0]`},
		{"check neither", base + "test:\n  checks:\n    - name: a\n      timeout: 1m\n", `kiln.yaml:11: test.checks[0]: needs one of http, tcp, ssh, goss or immutable`},
		{"check both", base + "test:\n  checks:\n    - name: a\n      http: {url: x}\n      tcp: {address: x}\n", `kiln.yaml:13: test.checks[0]: has both http and tcp; a check does one thing`},
		{"http no url", base + "test:\n  checks:\n    - name: a\n      http:\n        status: 204\n", `kiln.yaml:12: missing required key "url" in test.checks[0].http`},
		{"http method", base + "test:\n  checks:\n    - name: a\n      http: {url: x, method: get}\n", `kiln.yaml:12: test.checks[0].http.method: "get" is not an HTTP method such as GET`},
		{"http status", base + "test:\n  checks:\n    - name: a\n      http: {url: x, status: 700}\n", `kiln.yaml:12: test.checks[0].http.status: 700 is not an HTTP status code`},
		{"tcp empty", base + "test:\n  checks:\n    - name: a\n      tcp: {address: \"\"}\n", `kiln.yaml:12: test.checks[0].tcp.address: must not be empty`},
		{"negative interval", base + "test:\n  checks:\n    - name: a\n      tcp: {address: x}\n      interval: -1s\n", `kiln.yaml:13: test.checks[0].interval: must be positive`},

		// Promote.
		{"promote same branch", base + "promote:\n  from: main\n  to: main\n", `kiln.yaml:11: promote.to: "main" is also promote.from; promotion goes from one branch to another`},
		{"promote environment unknown", base + "promote:\n  environment: prod\n", `kiln.yaml:10: promote.environment: no environment "prod" in environments`},
		{"promote gitlab unknown key", base + "promote:\n  gitlab: {job: test}\n", `kiln.yaml:10: unknown key "job" in promote.gitlab`},
		{"promote gitlab list", base + "promote:\n  gitlab: [test]\n", `kiln.yaml:10: promote.gitlab: expected a mapping, got a list`},
		{"test job blank", base + "promote:\n  gitlab:\n    test_job: \" \"\n", `kiln.yaml:11: promote.gitlab.test_job: " " is empty`},
		{"test job newline", base + "promote:\n  gitlab:\n    test_job: \"a\\nb\"\n", `kiln.yaml:11: promote.gitlab.test_job: "a\nb" contains control characters`},
		{"test job long", base + "promote:\n  gitlab:\n    test_job: " + strings.Repeat("j", 256) + "\n", `kiln.yaml:11: promote.gitlab.test_job: "` + strings.Repeat("j", 256) + `" is longer than the 255 characters of a GitLab job name`},
		{"artifact absolute", base + "promote:\n  gitlab:\n    artifact_path: /tmp/kiln-image.json\n", `kiln.yaml:11: promote.gitlab.artifact_path: "/tmp/kiln-image.json" is absolute; artifact paths are relative to the project directory`},
		{"artifact parent", base + "promote:\n  gitlab:\n    artifact_path: ../kiln-image.json\n", `kiln.yaml:11: promote.gitlab.artifact_path: "../kiln-image.json" leaves the project directory`},
		{"artifact unclean", base + "promote:\n  gitlab:\n    artifact_path: out//kiln-image.json\n", `kiln.yaml:11: promote.gitlab.artifact_path: "out//kiln-image.json" is not a clean path to a file (no ./, //, trailing / or ..)`},
		{"artifact directory", base + "promote:\n  gitlab:\n    artifact_path: out/\n", `kiln.yaml:11: promote.gitlab.artifact_path: "out/" is not a clean path to a file (no ./, //, trailing / or ..)`},
		{"artifact backslash", base + "promote:\n  gitlab:\n    artifact_path: 'out\\kiln-image.json'\n", `kiln.yaml:11: promote.gitlab.artifact_path: "out\\kiln-image.json" contains a backslash; use / between directories`},

		// Vault.
		{"vault no auth", base + "vault:\n  address: https://v\n", `kiln.yaml:9: missing required key "auth" in vault`},
		{"vault no method", base + "vault:\n  auth:\n    role: r\n", `kiln.yaml:10: missing required key "method" in vault.auth`},
		{"vault method", base + "vault:\n  auth: {method: ldap}\n", `kiln.yaml:10: vault.auth.method: "ldap" is not one of token, approle, jwt, github, jwt_file`},
		{"vault address", base + "vault:\n  address: vault.example.com\n  auth: {method: token}\n", `kiln.yaml:10: vault.address: "vault.example.com" is not an http or https URL`},
		{"vault key of other method", base + "vault:\n  auth:\n    method: token\n    role: r\n", `kiln.yaml:12: vault.auth.role: not used by method token`},
		{"vault jwt_file no file", base + "vault:\n  auth: {method: jwt_file, role: r}\n", `kiln.yaml:10: missing required key "jwt_file" in vault.auth`},
		{"vault approle both", base + "vault:\n  auth: {method: approle, secret_id_env: S, secret_id_file: f}\n", `kiln.yaml:10: vault.auth: give one of secret_id_env and secret_id_file`},
		{"vault token env", base + "vault:\n  auth: {method: token, token_env: \"A-B\"}\n", `kiln.yaml:10: vault.auth.token_env: "A-B" is not an environment variable name`},
		{"secret env invalid", vaultBase + "    - {env: 1X, path: kv/a, field: f, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].env: "1X" is not an environment variable name`},
		{"secret env kiln", vaultBase + "    - {env: KILN_IMAGE_ID, path: kv/a, field: f, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].env: "KILN_IMAGE_ID" may not start with KILN_, which is kiln's own`},
		{"secret step", vaultBase + "    - env: A\n      path: kv/a\n      field: f\n      steps: [bake, deploy]\n", `kiln.yaml:15: vault.secrets[0].steps: "deploy" is not one of validate, bake, test, deploy-dev, promote, destroy-dev, rotate, rollback, sweep, revoke, drift`},
		{"secret no steps", vaultBase + "    - {env: A, path: kv/a, field: f}\n", `kiln.yaml:12: missing required key "steps" in vault.secrets[0]`},
		{"secret no path", vaultBase + "    - {env: A, field: f, steps: [bake]}\n", `kiln.yaml:12: missing required key "path" in vault.secrets[0]`},
		{"secret no field", vaultBase + "    - {env: A, path: kv/a, steps: [bake]}\n", `kiln.yaml:12: missing required key "field" in vault.secrets[0]`},
		{"secret no env", vaultBase + "    - {path: kv/a, field: f, steps: [bake]}\n", `kiln.yaml:12: missing required key "env" in vault.secrets[0]`},
		{"secret engine", vaultBase + "    - {env: A, path: kv/a, field: f, steps: [bake], engine: kv3}\n", `kiln.yaml:12: vault.secrets[0].engine: "kv3" is not one of kv2, kv1, dynamic`},
		{"secret path slash", vaultBase + "    - {env: A, path: /kv/a, field: f, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].path: "/kv/a" is not a Vault path such as "kv/data/ci/aws"`},
		{"secret tf_var", vaultBase + "    - {env: A, path: kv/a, field: f, steps: [bake], tf_var: \"a b\"}\n", `kiln.yaml:12: vault.secrets[0].tf_var: "a b" is not a valid Terraform variable name`},
		{"prefix not dynamic", vaultBase + "    - {env_prefix: DB_, path: kv/a, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].env_prefix: only used with engine dynamic`},
		{"prefix with field", vaultBase + "    - {env_prefix: DB_, engine: dynamic, field: f, path: db/creds/a, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].field: not used with env_prefix, which maps every field`},
		{"prefix kiln", vaultBase + "    - {env_prefix: kiln_, engine: dynamic, path: db/creds/a, steps: [bake]}\n", `kiln.yaml:12: vault.secrets[0].env_prefix: "kiln_" may not start with KILN_, which is kiln's own`},
		{"duplicate env for a step", vaultBase +
			"    - {env: A, path: kv/a, field: f, steps: [bake, test]}\n" +
			"    - {env: B, path: kv/b, field: f, steps: [bake]}\n" +
			"    - {env: A, path: kv/c, field: f, steps: [deploy-dev, test]}\n",
			`kiln.yaml:14: vault.secrets[2].env: A is already given to step test by vault.secrets[0]`},
		{"duplicate tf_var for a step", vaultBase +
			"    - {env: A, path: kv/a, field: f, steps: [promote], tf_var: pw}\n" +
			"    - {env: B, path: kv/b, field: f, steps: [promote], tf_var: pw}\n",
			`kiln.yaml:13: vault.secrets[1].tf_var: pw is already given to step promote by vault.secrets[0]`},
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
		})
	}
}

// assertConfigError checks that err is a one-line *Error carrying exit code 2.
func assertConfigError(t *testing.T, err error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("error %q (%T) is not a *config.Error", err, err)
	}
	if code := exitcode.Of(err); code != exitcode.Usage {
		t.Errorf("exit code %d, want %d", code, exitcode.Usage)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || ce != nil && strings.Contains(ce.Msg, "yaml:") {
		t.Errorf("error %q is not one clean line", msg)
	}
}

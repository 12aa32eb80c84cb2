// Package childenv builds the environment of the tools kiln starts (Packer, Terraform) in
// one place, with one precedence: the inherited environment (less the Vault credentials
// kiln used itself), then the step's secrets from Vault, then kiln's own settings
// (PKR_VAR_image_name, KILN_IMAGE_ID, TF_HTTP_*, ...). A secret may not take a name kiln
// sets: that is refused when the step runs (exit 2), naming both sources, instead of one
// silently winning over the other.
package childenv

import (
	"maps"
	"slices"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Reserved are the variables kiln sets itself for its child tools; no secret mapping may
// take one. Names ending in "_" are prefixes (TF_HTTP_: the GitLab state's backend settings).
var Reserved = []string{
	"PKR_VAR_image_name", "PKR_VAR_image_family", "PKR_VAR_source_sha", "PKR_VAR_base_image",
	"PACKER_NO_COLOR", "CHECKPOINT_DISABLE", "TMPDIR",
	"TF_DATA_DIR", "TF_IN_AUTOMATION", "TF_INPUT", "TF_LOG", "TF_WORKSPACE", "TF_HTTP_",
	"KILN_IMAGE_ID", "KILN_IMAGE_PATH", "KILN_ENVIRONMENT", "KILN_SUPERVISE_", "KILN_RUN_", "PKR_VAR_kiln_labels", "TF_VAR_kiln_labels",
}

// IsReserved reports whether kiln sets name for some child tool.
func IsReserved(name string) bool {
	_, ok := Reserving(name, false)
	return ok
}

// Reserving returns the entry of Reserved that name (a variable, or with prefix a prefix
// every variable of a mapping starts with) would take, if any.
func Reserving(name string, prefix bool) (string, bool) {
	for _, r := range Reserved {
		switch {
		case name == r, strings.HasSuffix(r, "_") && strings.HasPrefix(name, r):
			return r, true
		case prefix && (strings.HasPrefix(r, name) || strings.HasPrefix(name, r)):
			return r, true
		}
	}
	return "", false
}

// Build returns a child's environment: inherited (KEY=value lines), overridden by secrets
// (variable -> value, from Vault), overridden by kiln (kiln's settings for this tool). A
// secret named like a reserved variable or one of kiln's is an error with exit code 2.
func Build(inherited []string, kiln, secrets map[string]string) (map[string]string, error) {
	env := make(map[string]string, len(inherited)+len(kiln)+len(secrets))
	for _, kv := range inherited {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if _, ok := kiln[k]; ok || IsReserved(k) {
			return nil, exitcode.New(exitcode.Usage, "vault secret mapped to %s: kiln sets %s itself for its child tools; map the secret to another variable", k, k)
		}
		env[k] = secrets[k]
	}
	for k, v := range kiln {
		env[k] = v
	}
	return env, nil
}

// List returns env as sorted KEY=value lines, as exec.Cmd takes them.
func List(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

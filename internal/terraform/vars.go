package terraform

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// droppedEnv are variables of kiln's own environment that Terraform must not inherit:
// tfexec sets the log and automation variables itself. Every TF_LOG* variable goes too
// (TF_LOG_PROVIDER_<NAME>, TF_LOG_SDK...: providers read them and log to stderr).
var droppedEnv = []string{"TF_INPUT", "TF_IN_AUTOMATION", "TF_WORKSPACE", "TF_DATA_DIR",
	"TF_APPEND_USER_AGENT", "TF_CLI_ARGS"}

// BuildEnv builds Terraform's environment from the inherited one and kiln's additions.
// Inherited TF_VAR_* variables cannot be handed to terraform-exec, so they are returned as
// variables for the -var-file (a value that is valid JSON array or object keeps its
// structure, anything else is a string, as Terraform reads TF_VAR_ values).
func BuildEnv(inherited []string, add map[string]string) (env map[string]string, vars map[string]any) {
	env, vars = map[string]string{}, map[string]any{}
	for _, kv := range inherited {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "TF_VAR_"):
			vars[strings.TrimPrefix(k, "TF_VAR_")] = tfVarValue(v)
		case strings.HasPrefix(k, "TF_CLI_ARGS"), strings.HasPrefix(k, "TF_LOG"):
		case k == "TF_CLI_CONFIG_FILE" && !exists(v):
			// a missing CLI config only makes Terraform warn on every command
		default:
			env[k] = v
		}
	}
	for _, k := range droppedEnv {
		delete(env, k)
	}
	for k, v := range add {
		env[k] = v
	}
	env["CHECKPOINT_DISABLE"] = "1"
	return env, vars
}

func tfVarValue(v string) any {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		// json.Number keeps numbers exact: float64 would round 12345678901234567890.
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) == nil {
			if _, err := dec.Token(); err == io.EOF { // nothing after the value
				return x
			}
		}
	}
	return v
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return path != "" && err == nil
}

// WriteVarFile writes vars as a .tfvars.json file readable only by this user, in dir (which
// should be private to this run), and returns its path.
func WriteVarFile(dir, name string, vars map[string]any) (string, error) {
	data, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode terraform variables: %w", err)
	}
	path := filepath.Join(dir, name+".auto.tfvars.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write terraform variables: %w", err)
	}
	return path, nil
}

// WriteBackendFile writes backend settings as a -backend-config file (HCL attributes, one
// per line, in key order) readable only by this user, and returns its path; none -> "".
func WriteBackendFile(dir string, settings map[string]string) (string, error) {
	if len(settings) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, _ := json.Marshal(settings[k])
		// HCL strings are JSON strings, except that ${ and %{ start templates.
		s := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(v))
		fmt.Fprintf(&b, "%s = %s\n", k, s)
	}
	path := filepath.Join(dir, "backend.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write backend config: %w", err)
	}
	return path, nil
}

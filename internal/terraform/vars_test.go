package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBuildEnv(t *testing.T) {
	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inherited := []string{
		"PATH=/usr/bin:/bin",
		"HOME=/home/ci",
		"EMPTY=",
		"WITH_EQUALS=a=b",
		"TF_LOG=trace", "TF_LOG_CORE=trace", "TF_LOG_PROVIDER=debug", "TF_LOG_PATH=/tmp/tf.log",
		"TF_LOG_PROVIDER_AWS=trace", "TF_LOG_SDK=trace",
		"TF_CLI_ARGS=-lock=false", "TF_CLI_ARGS_plan=-refresh=false",
		"TF_INPUT=1", "TF_IN_AUTOMATION=", "TF_WORKSPACE=prod", "TF_DATA_DIR=/elsewhere", "TF_APPEND_USER_AGENT=x",
		"TF_PLUGIN_CACHE_DIR=/cache",
		"TF_VAR_region=eu-west-1",
		"TF_VAR_ports=[8080, 8443]",
		"TF_VAR_tags= {\"team\": \"web\", \"n\": 12345678901234567890} ",
		"TF_VAR_hcl_map={ team = \"web\" }",
		"TF_VAR_not_json=[draft",
		"TF_VAR_trailing=[1] [2]",
		"TF_VAR_count=3",
		"TF_VAR_empty=",
		"KILN_ENVIRONMENT=inherited",
	}
	add := map[string]string{"KILN_ENVIRONMENT": "dev", "AWS_ACCESS_KEY_ID": "from-vault"}
	wantEnv := map[string]string{
		"PATH": "/usr/bin:/bin", "HOME": "/home/ci", "EMPTY": "", "WITH_EQUALS": "a=b",
		"TF_PLUGIN_CACHE_DIR": "/cache",
		"KILN_ENVIRONMENT":    "dev", "AWS_ACCESS_KEY_ID": "from-vault",
		"CHECKPOINT_DISABLE": "1",
	}
	wantVars := map[string]any{
		"region":   "eu-west-1",
		"ports":    []any{json.Number("8080"), json.Number("8443")},
		"tags":     map[string]any{"team": "web", "n": json.Number("12345678901234567890")},
		"hcl_map":  "{ team = \"web\" }",
		"not_json": "[draft",
		"trailing": "[1] [2]",
		"count":    "3",
		"empty":    "",
	}
	for _, tc := range []struct {
		name      string
		cliConfig string
		wantKept  bool
	}{
		{"CLI config exists", cliConfig, true},
		{"CLI config missing", filepath.Join(t.TempDir(), "missing"), false},
		{"CLI config empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, vars := BuildEnv(append(inherited, "TF_CLI_CONFIG_FILE="+tc.cliConfig), add)
			want := map[string]string{}
			for k, v := range wantEnv {
				want[k] = v
			}
			if tc.wantKept {
				want["TF_CLI_CONFIG_FILE"] = tc.cliConfig
			}
			if !reflect.DeepEqual(env, want) {
				t.Errorf("env\n%v\nwant\n%v", env, want)
			}
			if !reflect.DeepEqual(vars, wantVars) {
				t.Errorf("vars\n%#v\nwant\n%#v", vars, wantVars)
			}
		})
	}
}

func TestWriteVarFile(t *testing.T) {
	dir := t.TempDir()
	_, vars := BuildEnv([]string{`TF_VAR_big=[12345678901234567890]`}, nil)
	vars["image_id"] = "local:sha256:ab12"
	vars["password"] = `p"w\d$` + "{x}\n"
	vars["size"] = map[string]any{"cpu": 2}
	path, err := WriteVarFile(dir, "kiln", vars)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "kiln.auto.tfvars.json"); path != want {
		t.Errorf("path %q, want %q", path, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	want := map[string]any{"big": []any{1.2345678901234567e+19}, "image_id": "local:sha256:ab12",
		"password": `p"w\d$` + "{x}\n", "size": map[string]any{"cpu": float64(2)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("file holds %v, want %v", got, want)
	}
	if !json.Valid(data) || !strings.Contains(string(data), "12345678901234567890") {
		t.Errorf("a number lost its digits:\n%s", data)
	}
}

func TestWriteVarFileErrors(t *testing.T) {
	if _, err := WriteVarFile(filepath.Join(t.TempDir(), "missing"), "kiln", map[string]any{"a": "b"}); err == nil {
		t.Error("no error for a missing directory")
	}
	if _, err := WriteVarFile(t.TempDir(), "kiln", map[string]any{"f": func() {}}); err == nil {
		t.Error("no error for a value JSON cannot carry")
	}
}

func TestWriteBackendFile(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteBackendFile(dir, map[string]string{
		"path":     "state/dev.tfstate",
		"bucket":   "tf-${env}-%{if x}",
		"key":      `a "quoted" \ value`,
		"endpoint": "https://s3.example.com/$notatemplate/%percent",
		"token":    "line1\nline2",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `bucket = "tf-$${env}-%%{if x}"` + "\n" +
		`endpoint = "https://s3.example.com/$notatemplate/%percent"` + "\n" +
		`key = "a \"quoted\" \\ value"` + "\n" +
		`path = "state/dev.tfstate"` + "\n" +
		`token = "line1\nline2"` + "\n"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != want {
		t.Errorf("backend file\n%s\nwant\n%s", data, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if path != filepath.Join(dir, "backend.hcl") {
		t.Errorf("path %q", path)
	}
}

func TestWriteBackendFileNone(t *testing.T) {
	dir := t.TempDir()
	for _, settings := range []map[string]string{nil, {}} {
		path, err := WriteBackendFile(dir, settings)
		if path != "" || err != nil {
			t.Errorf("WriteBackendFile(%v) = %q, %v; want \"\", nil", settings, path, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("wrote %d files", len(entries))
	}
}

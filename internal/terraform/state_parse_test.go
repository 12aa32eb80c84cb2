package terraform

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// realState is what `terraform state pull` prints for a small deployment: a local image in
// terraform_data, a GCP-like instance whose image sits in nested blocks, a counted resource
// with two instances, a data source, and outputs of several types, one sensitive.
const realState = `{
  "version": 4,
  "terraform_version": "1.9.8",
  "serial": 17,
  "lineage": "5f1c0a2e-0000-4000-8000-000000000001",
  "outputs": {
    "address": {"value": "127.0.0.1:8080", "type": "string"},
    "ports": {"value": [ 8080, 8443 ], "type": ["list", "number"]},
    "tags": {"value": {"team": "web", "tier": "front"}, "type": ["map", "string"]},
    "nothing": {"value": null, "type": "string"},
    "db_password": {"value": "s3cret-value", "type": "string", "sensitive": true}
  },
  "resources": [
    {
      "mode": "managed", "type": "terraform_data", "name": "vm", "provider": "provider[\"terraform.io/builtin/terraform\"]",
      "instances": [
        {
          "schema_version": 0,
          "attributes": {
            "id": "9c4e6d1a-7b1f-4f5e-0000-000000000000",
            "input": {"value": {"image": "local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "size": 2}, "type": ["object", {"image": "string", "size": "number"}]},
            "output": null,
            "triggers_replace": ["local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
          },
          "sensitive_attributes": []
        }
      ]
    },
    {
      "mode": "managed", "type": "google_compute_instance", "name": "web", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
      "instances": [
        {
          "attributes": {
            "name": "web-0",
            "boot_disk": [{"auto_delete": true, "initialize_params": [{"image": "https://www.googleapis.com/compute/v1/projects/p/global/images/web-20261130-0123abc", "size": 10}]}],
            "metadata": {"startup-script-key": "echo hello"},
            "labels": {},
            "can_ip_forward": false
          }
        }
      ]
    },
    {
      "mode": "managed", "type": "aws_instance", "name": "pool", "each": "list",
      "instances": [
        {"index_key": 0, "attributes": {"ami": "ami-0abc", "tags": {"Name": "pool-0"}}},
        {"index_key": 1, "attributes": {"ami": "ami-0abc", "tags": {"Name": "pool-1"}}}
      ]
    },
    {
      "mode": "data", "type": "aws_region", "name": "current",
      "instances": [{"attributes": {"name": "us-east-1"}}]
    }
  ],
  "check_results": null
}`

// TestParseState checks what ParseState takes from a state, and that it takes nothing from
// an empty one.
func TestParseState(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		lineage   string
		serial    int64
		resources int
		outputs   map[string]Output
		strings   []string
	}{
		{name: "empty", raw: "", outputs: map[string]Output{}, strings: []string{}},
		{name: "blank", raw: " \n\t", outputs: map[string]Output{}, strings: []string{}},
		{name: "no resources", raw: `{"version": 4, "serial": 1, "lineage": "l", "outputs": {}, "resources": []}`,
			lineage: "l", serial: 1, outputs: map[string]Output{}, strings: []string{}},
		{name: "realistic", raw: realState, lineage: "5f1c0a2e-0000-4000-8000-000000000001", serial: 17, resources: 5,
			outputs: map[string]Output{
				"address":     {Value: []byte(`"127.0.0.1:8080"`)},
				"ports":       {Value: []byte(`[8080,8443]`)},
				"tags":        {Value: []byte(`{"team":"web","tier":"front"}`)},
				"nothing":     {Value: []byte(`null`)},
				"db_password": {Sensitive: true},
			},
			strings: []string{
				"9c4e6d1a-7b1f-4f5e-0000-000000000000",
				"ami-0abc",
				"echo hello",
				"https://www.googleapis.com/compute/v1/projects/p/global/images/web-20261130-0123abc",
				"local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				"pool-0", "pool-1", "us-east-1", "web-0",
				"object", "string", "number", // the type of terraform_data's input
				// keys below an attribute: a map's (tags, metadata), a nested block's,
				// terraform_data input's object
				"Name", "startup-script-key", "auto_delete", "image", "initialize_params", "size", "type", "value",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseState([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if s.Lineage != tc.lineage || s.Serial != tc.serial || s.Resources != tc.resources {
				t.Errorf("lineage %q, serial %d, resources %d; want %q, %d, %d",
					s.Lineage, s.Serial, s.Resources, tc.lineage, tc.serial, tc.resources)
			}
			if len(s.Outputs) != len(tc.outputs) {
				t.Errorf("outputs %v, want %v", s.Outputs, tc.outputs)
			}
			for name, want := range tc.outputs {
				got, ok := s.Outputs[name]
				if !ok || got.Sensitive != want.Sensitive || string(got.Value) != string(want.Value) {
					t.Errorf("output %s = %+v (%s), want %+v (%s)", name, got, got.Value, want, want.Value)
				}
			}
			want := slices.Clone(tc.strings)
			slices.Sort(want)
			if got := s.Strings(); !reflect.DeepEqual(got, want) {
				t.Errorf("Strings() =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestStateNames checks which strings a state names: values and keys at any depth below an
// attribute (a map keyed by image id names it), never attribute names, numbers, booleans or
// outputs.
func TestStateNames(t *testing.T) {
	s, err := ParseState([]byte(realState))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},       // in a list and in a nested object
		{"https://www.googleapis.com/compute/v1/projects/p/global/images/web-20261130-0123abc", true}, // lists of maps of lists
		{"ami-0abc", true},
		{"echo hello", true},            // a map value
		{"us-east-1", true},             // data sources count as well
		{"web-20261130-0123abc", false}, // only whole strings
		{"startup-script-key", true},    // a map's key
		{"ami", false},                  // an attribute's name
		{"metadata", false},
		{"10", false},    // a number
		{"false", false}, // a boolean
		{"127.0.0.1:8080", false},
		{"s3cret-value", false}, // a sensitive output
		{"", false},
	} {
		if got := s.Names(tc.v); got != tc.want {
			t.Errorf("Names(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
	for _, o := range s.Outputs {
		if strings.Contains(string(o.Value), "s3cret") {
			t.Errorf("an output carries the sensitive value: %s", o.Value)
		}
	}
	// Strings returns a copy: changing it changes nothing.
	got := s.Strings()
	got[0] = "changed"
	if s.Names("changed") {
		t.Error("Strings() shares its slice with the state")
	}
}

// TestParseStateErrors checks that a state ParseState cannot read is an error naming it.
func TestParseStateErrors(t *testing.T) {
	for _, tc := range []struct{ name, raw string }{
		{"truncated", realState[:len(realState)/2]},
		{"not JSON", "terraform state pull: no state"},
		{"a list", `[1, 2]`},
		{"serial as text", `{"serial": "seventeen", "lineage": "l"}`},
		{"lineage as number", `{"serial": 1, "lineage": 7}`},
		{"resources as object", `{"resources": {"a": 1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseState([]byte(tc.raw))
			if err == nil || s != nil {
				t.Fatalf("ParseState = %+v, %v; want an error", s, err)
			}
			if !strings.HasPrefix(err.Error(), "decode terraform state: ") {
				t.Errorf("error %q does not say what it decoded", err)
			}
		})
	}
}

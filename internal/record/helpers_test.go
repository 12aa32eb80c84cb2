package record

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)

// sample returns a record with every section filled in.
func sample() *Record {
	r := New(Image{
		ID:       "local:sha256:" + "ab12" + "00000000000000000000000000000000000000000000000000000000000f",
		Name:     "demo-web-20261121103000-0123abc",
		Family:   "demo-web",
		Builder:  "qemu",
		Provider: "local",
		Artifacts: []Artifact{{
			Build: "qemu.app", BuilderID: "transcend.qemu", ID: "VM",
			Files: []File{{Path: "output/app.qcow2", SHA256: "ff00", Size: 450 << 20}},
		}},
		Labels: map[string]string{"kiln-source-sha": "0123abc", "kiln-family": "demo-web"},
	}, Source{
		Repo: "https://gitlab.example.com/team/demo.git", Commit: "0123abcdef",
		Ref: "master", PipelineURL: "https://gitlab.example.com/team/demo/-/pipelines/7",
		TemplateSHA256: "ee11", BaseImage: "debian-12 <base> & co",
	}, t0)
	r.Tests = &Tests{
		Status: StatusPassed, Passed: 2, Total: 2, ImageID: r.Image.ID, Environment: "dev",
		At: t0.Add(20 * time.Minute), JUnit: "kiln-junit.xml",
		Checks: []CheckResult{
			{Name: "health", Kind: "http", Status: StatusPassed, Attempts: 3, DurationMS: 2100},
			{Name: "ssh", Kind: "tcp", Status: StatusPassed, Attempts: 1, DurationMS: 12},
		},
	}
	r.Deployments = []Deployment{{
		Environment: "dev", Workspace: "dev", ImageID: r.Image.ID, At: t0.Add(10 * time.Minute),
		Outputs: map[string]Output{
			"address": {Value: json.RawMessage(`"127.0.0.1:8080"`)},
			"ports":   {Value: json.RawMessage(`{"http": 8080, "ssh": [2222]}`)},
			"token":   {Sensitive: true},
		},
	}}
	r.Promotion = &Promotion{
		Environment: "prod", ImageID: r.Image.ID, Family: "demo-web",
		PreviousImageID: "local:sha256:00", From: "master", To: "stable",
		MergeRequest: "https://gitlab.example.com/team/demo/-/merge_requests/3",
		At:           t0.Add(time.Hour),
	}
	return r
}

// minimal returns a record with only what Validate requires.
func minimal() *Record {
	return New(Image{ID: "us-east-1:ami-0abc"}, Source{}, t0)
}

// sealed encodes r with a correct digest but without Validate, to build records that are
// well-formed and digested yet invalid.
func sealed(t *testing.T, r *Record) []byte {
	t.Helper()
	d, err := digestOf(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Digest = d
	out, err := r.marshal(true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustEncode(t *testing.T, r *Record) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

func jsonCompact(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }

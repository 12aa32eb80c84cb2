package packer

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestReadManifestTwoRuns(t *testing.T) {
	f, err := os.Open("testdata/manifest-two-runs.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadManifest(f)
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	if len(m.Builds) != 4 {
		t.Fatalf("got %d builds, want 4", len(m.Builds))
	}
	last := m.LastRun()
	if len(last) != 3 {
		t.Fatalf("LastRun() has %d builds, want 3", len(last))
	}
	if got := last[0]; got.BuildTime != 1767312000 || got.Files[0].Size != 472907776 ||
		got.CustomData["source_sha"] != "0123456789abcdef" {
		t.Errorf("LastRun()[0] = %#v", got)
	}
	want := []Artifact{
		{Build: "qemu.base", BuilderID: "transcend.qemu", ID: "VM", Files: []string{"output/base.qcow2"}},
		{Build: "amazon-ebs.web", BuilderID: "mitchellh.amazonebs", ID: "us-east-1:ami-0abc,us-west-2:ami-0def"},
		{Build: "amazon-ebs.web", Index: 1, BuilderID: "mitchellh.amazonebs", ID: "eu-west-1:ami-0123"},
	}
	if got := m.LastRunArtifacts(); !reflect.DeepEqual(got, want) {
		t.Errorf("LastRunArtifacts() =\n%#v\nwant\n%#v", got, want)
	}
	if a := want[0]; !IsFileArtifact(a) || HasIdentity(a) {
		t.Errorf("qemu manifest artifact: IsFileArtifact %v, HasIdentity %v", IsFileArtifact(a), HasIdentity(a))
	}
}

func TestReadManifest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		last    int
		wantErr string
	}{
		{name: "empty object", in: `{}`, last: 0},
		{name: "unknown fields ignored", in: `{"builds":[{"name":"x","builder_type":"file","new":1}],"extra":true}`, last: 1},
		{name: "no last run uuid", in: `{"builds":[{"name":"x","packer_run_uuid":"a"},{"name":"y"}]}`, last: 1},
		{name: "not json", in: `builds:`, wantErr: "decode packer manifest"},
		{name: "trailing data", in: `{} {}`, wantErr: "decode packer manifest"},
		{name: "wrong type", in: `{"builds":{}}`, wantErr: "decode packer manifest"},
		{name: "empty", in: ``, wantErr: "decode packer manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadManifest(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadManifest error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadManifest: %v", err)
			}
			if got := len(m.LastRun()); got != tt.last {
				t.Errorf("LastRun() has %d builds, want %d", got, tt.last)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("i/o error") }

func TestReadManifestReadError(t *testing.T) {
	_, err := ReadManifest(errReader{})
	if err == nil || !strings.Contains(err.Error(), "read packer manifest: i/o error") {
		t.Errorf("ReadManifest error = %v", err)
	}
}

func TestManifestBuildName(t *testing.T) {
	tests := []struct {
		name, builderType, want string
	}{
		{"image", "file", "file.image"},
		{"amazon-ebs", "amazon-ebs", "amazon-ebs"},
		{"", "qemu", "qemu"},
		{"qemu.base", "qemu", "qemu.base"},
		{"orphan", "", "orphan"},
	}
	for _, tt := range tests {
		b := ManifestBuild{Name: tt.name, BuilderType: tt.builderType}
		if got := b.Artifact().Build; got != tt.want {
			t.Errorf("Artifact().Build for name %q type %q = %q, want %q", tt.name, tt.builderType, got, tt.want)
		}
	}
}

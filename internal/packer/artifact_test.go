package packer

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitArtifactID(t *testing.T) {
	tests := []struct {
		in   string
		want []RegionID
	}{
		{"", nil},
		{"  ", nil},
		{",", nil},
		{"us-east-1:ami-1,us-west-2:ami-2", []RegionID{{"us-east-1", "ami-1"}, {"us-west-2", "ami-2"}}},
		{"us-east-1:ami-0abc", []RegionID{{"us-east-1", "ami-0abc"}}},
		{"us-gov-west-1:ami-9, cn-north-1:ami-8,", []RegionID{{"us-gov-west-1", "ami-9"}, {"cn-north-1", "ami-8"}}},
		{"my-image-20260101", []RegionID{{"", "my-image-20260101"}}},
		{"sha256:0123abcd", []RegionID{{"", "sha256:0123abcd"}}},
		{"local:sha256:0123abcd", []RegionID{{"", "local:sha256:0123abcd"}}},
		{"us-east-1:", []RegionID{{"", "us-east-1:"}}},
		{"us-east-1:ami-1,oops", []RegionID{{"", "us-east-1:ami-1,oops"}}},
		{"US-EAST-1:ami-1", []RegionID{{"", "US-EAST-1:ami-1"}}},
		{"/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/z", []RegionID{{"", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/z"}}},
		{"File", []RegionID{{"", "File"}}},
	}
	for _, tt := range tests {
		if got := SplitArtifactID(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitArtifactID(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestHasIdentityAndIsFileArtifact(t *testing.T) {
	tests := []struct {
		name         string
		a            Artifact
		identity     bool
		fileArtifact bool
	}{
		{"file builder", Artifact{BuilderID: "packer.file", ID: "File", Files: []string{"out.txt"}}, false, true},
		{"qemu builder", Artifact{BuilderID: "transcend.qemu", ID: "VM", Files: []string{"out/base.qcow2"}}, false, true},
		{"qemu builder without files", Artifact{BuilderID: "transcend.qemu", ID: "VM"}, false, true},
		{"null builder", Artifact{BuilderID: "fnoeding.null", ID: "Null"}, false, false},
		{"virtualbox placeholder with files", Artifact{BuilderID: "mitchellh.virtualbox", ID: "VM", Files: []string{"a.ovf"}}, false, true},
		{"amazon", Artifact{BuilderID: "mitchellh.amazonebs", ID: "us-east-1:ami-0abc,us-west-2:ami-0def"}, true, false},
		{"gcp", Artifact{BuilderID: "packer.googlecompute", ID: "my-image-20260101"}, true, false},
		{"empty id", Artifact{BuilderID: "packer.post-processor.checksum", Files: []string{"sums"}}, false, false},
		{"blank id", Artifact{ID: "  "}, false, false},
		{"nil artifact", Artifact{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasIdentity(tt.a); got != tt.identity {
				t.Errorf("HasIdentity = %v, want %v", got, tt.identity)
			}
			if got := IsFileArtifact(tt.a); got != tt.fileArtifact {
				t.Errorf("IsFileArtifact = %v, want %v", got, tt.fileArtifact)
			}
		})
	}
}

func FuzzSplitArtifactID(f *testing.F) {
	for _, s := range []string{
		"", ",", "us-east-1:ami-1,us-west-2:ami-2", "my-image-20260101", "sha256:abc",
		"local:sha256:abc", "us-east-1:", ":ami-1", "a-1:b,,c-2:d ", "é-1:x", "us-east-1:ami-1,oops",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := SplitArtifactID(id)
		trimmed := strings.TrimSpace(id)
		if trimmed == "" && got != nil {
			t.Fatalf("SplitArtifactID(%q) = %#v, want nil", id, got)
		}
		if len(got) == 1 && got[0].Region == "" {
			if got[0].ID != trimmed {
				t.Fatalf("SplitArtifactID(%q) = %#v, want the whole id", id, got)
			}
			return
		}
		for _, r := range got {
			if !isRegion(r.Region) || r.ID == "" || strings.Contains(r.ID, ",") {
				t.Fatalf("SplitArtifactID(%q) gave bad entry %#v", id, r)
			}
			if !strings.Contains(id, r.Region+":") {
				t.Fatalf("SplitArtifactID(%q) gave a region not in the id: %#v", id, r)
			}
		}
	})
}

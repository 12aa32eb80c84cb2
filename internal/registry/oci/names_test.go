package oci

import (
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kiln-ci/kiln/internal/registry"
)

func TestTags(t *testing.T) {
	d := digest.NewDigestFromEncoded(digest.SHA256, strings.Repeat("0f", 32))
	family := strings.Repeat("a", 63) // the longest family kiln accepts
	for _, tc := range []struct {
		tag    string
		family string
		tomb   bool
		ok     bool
	}{
		{imageTag("web", d), "web", false, true},
		{tombstoneTag("web", d), "web", true, true},
		{imageTag(family, d), family, false, true},
		{"web", "", false, false},
		{historyTag("web"), "", false, false},
		{"sha256-" + d.Encoded(), "", false, false}, // oras-go's referrers tag
		{"web." + strings.Repeat("G", 64), "", false, false},
	} {
		f, got, tomb, ok := parseTag(tc.tag)
		if ok != tc.ok || f != tc.family || tomb != tc.tomb || ok && got != d {
			t.Errorf("parseTag(%q) = %q, %s, %v, %v", tc.tag, f, got, tomb, ok)
		}
		if len(tc.tag) > 128 {
			t.Errorf("tag %q is longer than the 128 characters OCI allows", tc.tag)
		}
	}
}

func TestChangeAnnotations(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
	c := change{seq: 7, at: at, state: registry.Obsolete, dates: registry.Dates{Deprecated: at.Add(-time.Hour), Obsolete: at},
		labels: map[string]string{"kiln-revoked-at": "123"}}
	d := ocispec.Descriptor{ArtifactType: ChangeType, Digest: digest.FromString("x"), Annotations: c.annotations()}
	got, ok := parseChange(d)
	if !ok || got.seq != 7 || !got.at.Equal(at) || got.state != registry.Obsolete || got.dates != c.dates || got.labels["kiln-revoked-at"] != "123" {
		t.Fatalf("round trip: %+v, %v", got, ok)
	}
	label := change{seq: 8, at: at, labels: map[string]string{"a": "b"}}
	got, ok = parseChange(ocispec.Descriptor{ArtifactType: ChangeType, Annotations: label.annotations()})
	if !ok || got.state != "" || len(got.labels) != 1 {
		t.Fatalf("label change: %+v, %v", got, ok)
	}
	for _, bad := range []ocispec.Descriptor{
		{ArtifactType: AttestationType, Annotations: c.annotations()},
		{ArtifactType: ChangeType, Annotations: map[string]string{annState: "READY"}},
	} {
		if _, ok := parseChange(bad); ok {
			t.Errorf("parseChange(%+v) is a change", bad)
		}
	}
}

func TestFileNames(t *testing.T) {
	layer := func(title string) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: FileMediaType, Digest: digest.FromString(title), Size: 1,
			Annotations: map[string]string{ocispec.AnnotationTitle: title}}
	}
	good := &ocispec.Manifest{ArtifactType: ArtifactType, Layers: []ocispec.Descriptor{layer("disk.qcow2"), layer("vmlinuz")}}
	if names, err := fileNames(good); err != nil || strings.Join(names, ",") != "disk.qcow2,vmlinuz" {
		t.Fatalf("fileNames = %v, %v", names, err)
	}
	for _, title := range []string{"", ".", "..", "../etc/passwd", "a/b", ".hidden", manifestName, "a\\b"} {
		m := &ocispec.Manifest{ArtifactType: ArtifactType, Layers: []ocispec.Descriptor{layer(title)}}
		if _, err := fileNames(m); err == nil {
			t.Errorf("fileNames accepts a layer named %q", title)
		}
	}
	dup := &ocispec.Manifest{ArtifactType: ArtifactType, Layers: []ocispec.Descriptor{layer("a"), layer("a")}}
	other := &ocispec.Manifest{ArtifactType: "application/vnd.oci.image.config.v1+json", Layers: []ocispec.Descriptor{layer("a")}}
	sha512 := &ocispec.Manifest{ArtifactType: ArtifactType, Layers: []ocispec.Descriptor{{Digest: digest.SHA512.FromString("a"), Annotations: map[string]string{ocispec.AnnotationTitle: "a"}}}}
	for _, m := range []*ocispec.Manifest{dup, other, sha512, {ArtifactType: ArtifactType}} {
		if _, err := fileNames(m); err == nil {
			t.Errorf("fileNames accepts %+v", m)
		}
	}
}

package packer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Manifest is the JSON file Packer's manifest post-processor writes
// (packer-manifest.json by default). Each run appends its builds to it.
type Manifest struct {
	// Builds are the builds of every run recorded in the file, oldest first.
	Builds []ManifestBuild `json:"builds"`
	// LastRunUUID is the PACKER_RUN_UUID of the run that wrote the file last.
	LastRunUUID string `json:"last_run_uuid"`
}

// ManifestBuild is one build's entry in a Manifest.
type ManifestBuild struct {
	// Name is the source's name: "image" for `source "file" "image"`.
	Name string `json:"name"`
	// BuilderType is the builder's type, for example "file", "qemu" or "amazon-ebs".
	BuilderType string `json:"builder_type"`
	// BuildTime is the Unix time the entry was written; 0 with strip_time.
	BuildTime int64 `json:"build_time,omitempty"`
	// Files are the artifact's files.
	Files []ManifestFile `json:"files"`
	// ArtifactID is the artifact's id, as in the machine-readable "id" line.
	ArtifactID string `json:"artifact_id"`
	// PackerRunUUID identifies the Packer run that made the build.
	PackerRunUUID string `json:"packer_run_uuid"`
	// CustomData is the post-processor's custom_data.
	CustomData map[string]string `json:"custom_data"`
}

// ManifestFile is one file of a ManifestBuild.
type ManifestFile struct {
	// Name is the file's path (its base name only with strip_path).
	Name string `json:"name"`
	// Size is the file's size in bytes; 0 if Packer could not stat it.
	Size int64 `json:"size"`
}

// builderIDs maps builder types to the builder ids the machine-readable output reports,
// since the manifest does not record them.
var builderIDs = map[string]string{
	"file":          "packer.file",
	"null":          "fnoeding.null",
	"qemu":          "transcend.qemu",
	"amazon-ebs":    "mitchellh.amazonebs",
	"googlecompute": "packer.googlecompute",
}

// ReadManifest decodes a Packer manifest. Unknown fields are ignored: the file is
// Packer's, and newer versions may add some.
func ReadManifest(r io.Reader) (*Manifest, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read packer manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode packer manifest: %w", err)
	}
	return &m, nil
}

// LastRun returns the builds of the run named by LastRunUUID, in file order.
func (m *Manifest) LastRun() []ManifestBuild {
	var out []ManifestBuild
	for _, b := range m.Builds {
		if b.PackerRunUUID == m.LastRunUUID {
			out = append(out, b)
		}
	}
	return out
}

// LastRunArtifacts returns the last run's builds as Artifacts, numbering each build's
// artifacts from 0 in file order.
func (m *Manifest) LastRunArtifacts() []Artifact {
	var out []Artifact
	seen := map[string]int{}
	for _, b := range m.LastRun() {
		a := b.Artifact()
		a.Index = seen[a.Build]
		seen[a.Build]++
		out = append(out, a)
	}
	return out
}

// Artifact converts the entry to an Artifact. Build is "TYPE.NAME" as HCL2 templates
// name builds in machine-readable output (a build block's own name prefix is not in the
// manifest and is lost); BuilderID is known for the file, null, qemu, amazon-ebs and
// googlecompute builders and empty otherwise; String is empty and Index is 0.
func (b ManifestBuild) Artifact() Artifact {
	a := Artifact{
		Build:     manifestBuildName(b.Name, b.BuilderType),
		BuilderID: builderIDs[b.BuilderType],
		ID:        b.ArtifactID,
	}
	for _, f := range b.Files {
		a.Files = append(a.Files, f.Name)
	}
	return a
}

// manifestBuildName rebuilds the machine-readable build name from a manifest entry's
// source name and builder type. Legacy JSON templates name a build after its type.
func manifestBuildName(name, builderType string) string {
	switch {
	case builderType == "":
		return name
	case name == "" || name == builderType:
		return builderType
	case strings.HasPrefix(name, builderType+"."):
		return name
	}
	return builderType + "." + name
}

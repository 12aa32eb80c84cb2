package packer

import "strings"

// Result is what a `packer build -machine-readable` run reported.
type Result struct {
	// Artifacts are the artifacts of every build, in the order Packer printed them.
	Artifacts []Artifact
	// Errors are the ui error messages, unescaped, in order.
	Errors []string
	// BuildErrors are the per-build "error" lines Packer prints after a failed run.
	BuildErrors []BuildError
	// ErrorCount is the number of failed builds from the "error-count" line; 0 if absent.
	ErrorCount int
	// Version is Packer's version from the "version" line, if it printed one.
	Version string
}

// BuildError is the error one build ended with.
type BuildError struct {
	// Build is the build's name, for example "qemu.base".
	Build string
	// Message is the error text.
	Message string
}

// Artifact is one artifact a Packer build produced.
type Artifact struct {
	// Build is the build's name as Packer prints it, for example "file.image" or "qemu.base".
	Build string
	// Index is the artifact's position among its build's artifacts.
	Index int
	// BuilderID names the builder or post-processor that made it, for example
	// "packer.file", "transcend.qemu", "mitchellh.amazonebs" or "packer.googlecompute".
	BuilderID string
	// ID is the artifact's id: "us-east-1:ami-0abc,us-west-2:ami-0def" for AWS, an image
	// name for GCP, a placeholder such as "File", "Null" or "VM" for builders whose real
	// output is the files they wrote.
	ID string
	// String is Packer's human description of the artifact.
	String string
	// Files are the paths of the files the artifact consists of, if any.
	Files []string
}

// RegionID is one image id together with the region it lives in.
type RegionID struct {
	// Region is the cloud region, for example "us-east-1"; empty for an id without one.
	Region string
	// ID is the image id in that region.
	ID string
}

// placeholderIDs are the artifact ids builders report when the id identifies nothing.
var placeholderIDs = map[string]bool{
	"File":      true, // packer.file
	"Null":      true, // fnoeding.null
	"VM":        true, // transcend.qemu, mitchellh.virtualbox
	"Container": true, // packer.docker, export mode
}

// fileBuilderIDs are the builders whose artifact is the files they write.
var fileBuilderIDs = map[string]bool{
	"packer.file":    true,
	"transcend.qemu": true,
}

// IsPlaceholderID reports whether id is one of the fixed ids ("File", "Null", "VM",
// "Container") that builders report instead of a real image id.
func IsPlaceholderID(id string) bool {
	return placeholderIDs[strings.TrimSpace(id)]
}

// HasIdentity reports whether a's id names a real image: it is not empty and not a
// placeholder.
func HasIdentity(a Artifact) bool {
	id := strings.TrimSpace(a.ID)
	return id != "" && !placeholderIDs[id]
}

// IsFileArtifact reports whether a comes from a builder whose output is files (file,
// qemu), or has a placeholder id and lists files. Its image is then in a.Files, which
// may still be empty if the builder wrote nothing.
func IsFileArtifact(a Artifact) bool {
	if fileBuilderIDs[a.BuilderID] {
		return true
	}
	return IsPlaceholderID(a.ID) && len(a.Files) > 0
}

// SplitArtifactID splits an artifact id into its per-region ids:
// "us-east-1:ami-1,us-west-2:ami-2" gives two entries. An id that is not a
// comma-separated list of region:id pairs (a GCP image name, a docker "sha256:..."
// digest) gives one entry with an empty Region; an empty id (or one of only commas and
// spaces) gives nil. A region is a lowercase word with at least one '-' (us-east-1,
// europe-west4), so "sha256:..." and "local:sha256:..." are not split.
func SplitArtifactID(id string) []RegionID {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil
	}
	var out []RegionID
	for _, part := range strings.Split(id, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		region, rid, ok := strings.Cut(part, ":")
		if !ok || !isRegion(region) || strings.TrimSpace(rid) == "" {
			return []RegionID{{ID: id}}
		}
		out = append(out, RegionID{Region: region, ID: strings.TrimSpace(rid)})
	}
	return out
}

// isRegion reports whether s looks like a cloud region: a lowercase letter, then
// lowercase letters, digits and '-', with at least one '-' and not ending in one.
func isRegion(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' || !strings.Contains(s, "-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

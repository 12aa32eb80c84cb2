// Package version holds kiln's version and commit, set at link time by the Makefile:
// -ldflags "-X github.com/kiln-ci/kiln/internal/version.Version=... -X ...Commit=...".
package version

// Version is the release version, or "dev" for a local build.
var Version = "dev"

// Commit is the source commit the binary was built from, or "unknown".
var Commit = "unknown"

// String is the one line --version prints.
func String(binary string) string {
	return binary + " " + Version + " (commit " + Commit + ")"
}

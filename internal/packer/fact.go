package packer

import (
	"fmt"
	"regexp"
	"strings"
)

// FactPrefix starts the lines a template's provisioners print on their standard output to
// tell kiln a fact about the image they build: "kiln-fact NAME VALUE". Packer shows them as
// ui messages prefixed with the build's name ("    qemu.demo: kiln-fact ...").
const FactPrefix = "kiln-fact"

// maxFactWarnings bounds the warnings kept for malformed kiln-fact lines.
const maxFactWarnings = 10

var packagesDigestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Facts are what a build's provisioners told kiln about the image.
type Facts struct {
	// PackagesDigest is the last well-formed "kiln-fact packages_digest sha256:<64 hex>"
	// line's digest, in lower case; "" when there was none.
	PackagesDigest string
	// PackagesDigestBuild is the build whose output printed it, when Packer named one.
	PackagesDigestBuild string
	// Warnings say which kiln-fact lines were ignored, and why, one sentence each.
	Warnings []string
	// dropped counts the warnings past maxFactWarnings.
	dropped int
}

// fact looks at one line of a ui message for a kiln-fact and records what it finds.
func (f *Facts) fact(line string) {
	build, s := splitBuild(strings.TrimSpace(line))
	if s != FactPrefix && !strings.HasPrefix(s, FactPrefix+" ") && !strings.HasPrefix(s, FactPrefix+"\t") {
		return
	}
	fields := strings.Fields(s)
	from := ""
	if build != "" {
		from = " from " + build
	}
	switch {
	case len(fields) < 2:
		f.warn("ignored a kiln-fact line%s without a fact name", from)
	case fields[1] != "packages_digest":
		f.warn("ignored kiln-fact %s%s: kiln knows only packages_digest", quote(fields[1]), from)
	case len(fields) != 3 || !packagesDigestRE.MatchString(strings.ToLower(fields[2])):
		f.warn(`ignored a malformed kiln-fact line%s: %s; want "kiln-fact packages_digest sha256:<64 hex digits>"`, from, quote(s))
	default:
		f.PackagesDigest, f.PackagesDigestBuild = strings.ToLower(fields[2]), build
	}
}

// splitBuild splits Packer's "build.name: " prefix off a provisioner's output line.
func splitBuild(s string) (build, rest string) {
	i := strings.Index(s, ": ")
	if i <= 0 || strings.ContainsAny(s[:i], " \t") {
		return "", s
	}
	rest = strings.TrimSpace(s[i+2:])
	if !strings.HasPrefix(rest, FactPrefix) {
		return "", s
	}
	return s[:i], rest
}

func (f *Facts) warn(format string, args ...any) {
	if len(f.Warnings) >= maxFactWarnings {
		f.dropped++
		return
	}
	f.Warnings = append(f.Warnings, fmt.Sprintf(format, args...))
}

// copy returns f with its own Warnings, the dropped ones counted in a last warning.
func (f Facts) copy() Facts {
	f.Warnings = append([]string(nil), f.Warnings...)
	if f.dropped > 0 {
		f.Warnings = append(f.Warnings, fmt.Sprintf("ignored %d more malformed kiln-fact lines", f.dropped))
		f.dropped = 0
	}
	return f
}

// quote quotes a value from a template's output for a warning, cut to 120 bytes.
func quote(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return fmt.Sprintf("%q", s)
}

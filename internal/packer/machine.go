package packer

import (
	"strconv"
	"strings"
)

// Line is one parsed line of Packer's -machine-readable output,
// "timestamp,target,type,data...".
type Line struct {
	// Timestamp is the Unix time Packer printed the line at.
	Timestamp int64
	// Target is the build the line is about (for example "file.image"); empty for
	// lines about the whole run, which includes Packer 1.9's ui lines.
	Target string
	// Type is the kind of line: "ui", "artifact", "artifact-count", "error-count",
	// "error", "version" and more.
	Type string
	// Data holds the comma-separated fields after the type, unescaped.
	Data []string
}

// unescaper undoes Packer's escaping of data fields in one left-to-right pass.
// Packer writes a comma as "%!(PACKER_COMMA)", a newline as the two characters `\n` and a
// carriage return as `\r`; it does not escape backslashes, so a literal backslash-n in a
// message cannot be told apart from a newline and comes back as a newline.
var unescaper = strings.NewReplacer(
	"%!(PACKER_COMMA)", ",",
	`\n`, "\n",
	`\r`, "\r",
)

// Unescape returns a machine-readable data field as the text Packer meant.
func Unescape(field string) string {
	return unescaper.Replace(field)
}

// ParseLine parses one line of -machine-readable output, without its line ending.
// It reports false for a line that is not machine-readable: one with fewer than
// three fields, a timestamp that is not a decimal number, or a type that is not
// made of letters, digits, '-' and '_'.
func ParseLine(s string) (Line, bool) {
	fields := strings.Split(s, ",")
	if len(fields) < 3 || !isDigits(fields[0]) || !isType(fields[2]) {
		return Line{}, false
	}
	ts, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return Line{}, false
	}
	data := fields[3:]
	for i, f := range data {
		data[i] = Unescape(f)
	}
	return Line{Timestamp: ts, Target: fields[1], Type: fields[2], Data: data}, true
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isType reports whether s looks like a machine-readable message type.
func isType(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

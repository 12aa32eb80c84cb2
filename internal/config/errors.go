package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Error is a problem in kiln.yaml at a line (1-based; 0 when no line applies).
type Error struct {
	File string
	Line int
	Msg  string
}

// Error returns "kiln.yaml:12: msg", or "kiln.yaml: msg" when Line is 0.
func (e *Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.File + ": " + e.Msg
}

// newError returns a *Error carrying exit code 2.
func newError(file string, line int, format string, args ...any) error {
	return exitcode.Wrap(exitcode.Usage, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// errorf returns an error at the line of the key at path (or its nearest known parent).
func (c *Config) errorf(path, format string, args ...any) error {
	return newError(c.File, c.Line(path), format, args...)
}

// where names a mapping for messages: "in image", or "at the top level".
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// join appends a key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends a list index to a dotted path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// syntaxError turns a yaml.v3 parse error into one clean line, keeping its line number;
// yaml.v3 gives none for an unknown alias, so it is looked up in data.
func syntaxError(file string, data []byte, err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return newError(file, line, "invalid YAML: %s", m[2])
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		return newError(file, aliasLine(data, m[1]), "invalid YAML: alias *%s names no anchor", m[1])
	}
	return newError(file, 0, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// aliasLine returns the line of the first "*name" alias in data, or 0.
func aliasLine(data []byte, name string) int {
	re, err := regexp.Compile(`\*` + regexp.QuoteMeta(name) + `(?:$|[\s,\]}])`)
	if err != nil {
		return 0
	}
	loc := re.FindIndex(data)
	if loc == nil {
		return 0
	}
	return 1 + bytes.Count(data[:loc[0]], []byte("\n"))
}

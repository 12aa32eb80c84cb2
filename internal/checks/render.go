package checks

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// missingKey finds the field path and key in text/template's "map has no entry" error.
var missingKey = regexp.MustCompile(`at <([^>]*)>: map has no entry for key "([^"]*)"`)

// Render fills tmpl, such as "http://{{ .Outputs.address }}/healthz", from data with
// text/template. A key data lacks is an error that names it (".Outputs.address"), never
// "<no value>" in a URL.
func Render(tmpl string, data any) (string, error) {
	t, err := template.New("check").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("parse template %q: %w", tmpl, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		if m := missingKey.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("render %q: %s is not set (no key %q)", tmpl, m[1], m[2])
		}
		return "", fmt.Errorf("render %q: %w", tmpl, err)
	}
	return b.String(), nil
}

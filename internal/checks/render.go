package checks

import (
	"fmt"
	"regexp"
	"sort"
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
			return "", fmt.Errorf("render %q: %s is not set (no key %q%s)", tmpl, m[1], m[2], have(data, m[1]))
		}
		return "", fmt.Errorf("render %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// have lists the keys of the map the field path ".Outputs.address" looks in (the
// environment's outputs), as "; have: a, b", or "" when there is no such map.
func have(data any, path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "."), ".")
	cur := data
	for _, p := range parts[:len(parts)-1] {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "; there are none"
	}
	return "; have: " + strings.Join(keys, ", ")
}

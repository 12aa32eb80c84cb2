package config

import (
	"math"

	"gopkg.in/yaml.v3"
)

// enter resolves aliases and counts the node against the limits; every enter that
// succeeds is paired with a leave.
func (d *decoder) enter(n *yaml.Node, path string) (*yaml.Node, error) {
	line := d.line(n, path)
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, newError(d.file, line, "%s: unknown alias *%s", path, n.Value)
		}
		n = n.Alias
	}
	d.nodes++
	d.depth++
	switch {
	case d.depth > maxDepth:
		d.depth--
		return nil, newError(d.file, line, "nested more than %d levels deep (or an anchor contains itself)", maxDepth)
	case d.nodes > maxNodes:
		d.depth--
		return nil, newError(d.file, line, "more than %d values (aliases that expand too much?)", maxNodes)
	}
	return n, nil
}

// leave undoes enter's nesting count.
func (d *decoder) leave() { d.depth-- }

// pairs returns the keys and values of mapping n in order, with merge keys ("<<: *base")
// applied: the mapping's own keys win, then earlier merged mappings over later ones.
// A key given twice in the same mapping is an error.
func (d *decoder) pairs(n *yaml.Node, path string) ([]pair, error) {
	if _, err := d.enter(n, path); err != nil {
		return nil, err
	}
	defer d.leave()
	var own, merged []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.enter(n.Content[i], path)
		if err != nil {
			return nil, err
		}
		d.leave()
		if k.Kind != yaml.ScalarNode {
			return nil, newError(d.file, k.Line, "%s: expected a string key, got %s", pathOrTop(path), describe(k))
		}
		if k.ShortTag() == "!!merge" {
			m, err := d.merge(n.Content[i+1], path)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		if seen[k.Value] {
			return nil, newError(d.file, k.Line, "duplicate key %q %s", k.Value, where(path))
		}
		seen[k.Value] = true
		own = append(own, pair{k, n.Content[i+1]})
	}
	for _, p := range merged {
		if !seen[p.key.Value] {
			seen[p.key.Value] = true
			own = append(own, p)
		}
	}
	return own, nil
}

// merge returns the pairs a merge key brings in: a mapping, or a list of mappings.
func (d *decoder) merge(v *yaml.Node, path string) ([]pair, error) {
	v, err := d.enter(v, path)
	if err != nil {
		return nil, err
	}
	defer d.leave()
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	var out []pair
	for _, item := range items {
		m, err := d.enter(item, path)
		if err != nil {
			return nil, err
		}
		d.leave()
		if m.Kind != yaml.MappingNode {
			return nil, newError(d.file, m.Line, "%s: merge key << expects a mapping or a list of mappings", pathOrTop(path))
		}
		p, err := d.pairs(m, path)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	return out, nil
}

// anyValue converts n into plain Go values: map[string]any, []any, string, int, float64,
// bool or nil. Timestamps and custom tags stay the strings they were written as.
func (d *decoder) anyValue(n *yaml.Node, path string) (any, error) {
	n, err := d.enter(n, path)
	if err != nil {
		return nil, err
	}
	defer d.leave()
	switch n.Kind {
	case yaml.MappingNode:
		pairs, err := d.pairs(n, path)
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(pairs))
		for _, p := range pairs {
			if m[p.key.Value], err = d.anyValue(p.value, join(path, p.key.Value)); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, item := range n.Content {
			if l[i], err = d.anyValue(item, index(path, i)); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	return d.anyScalar(n, path)
}

// anyScalar converts a scalar; non-finite numbers are refused (they have no JSON form).
func (d *decoder) anyScalar(n *yaml.Node, path string) (any, error) {
	var x any
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
		if err := n.Decode(&x); err != nil {
			return nil, d.typeError(n, path, "a value")
		}
		if f, ok := x.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return nil, d.typeError(n, path, "a finite number")
		}
		return x, nil
	}
	return n.Value, nil
}

// pathOrTop names a path for messages, "top level" for the empty one.
func pathOrTop(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

package config

import (
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that keep hostile files (alias bombs, self-containing anchors) cheap to reject.
const (
	maxNodes = 100000 // nodes visited, counting every alias expansion
	maxDepth = 64     // nesting of mappings and lists
)

// decoder fills Go values from a yaml.v3 node tree strictly: every key must be known, every
// scalar of the expected type, and it records the line of every key it sees.
type decoder struct {
	file  string
	lines map[string]int
	nodes int
	depth int
}

// pair is one key and its value in a mapping, after merge keys are applied.
type pair struct{ key, value *yaml.Node }

var durationType = reflect.TypeOf(Duration{})

// decode fills v from n; path names v in messages ("image.family").
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	n, err := d.enter(n, path)
	if err != nil {
		return err
	}
	defer d.leave()
	if v.Kind() == reflect.Interface {
		x, err := d.anyValue(n, path)
		if err == nil && x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return err
	}
	if isNull(n) {
		return nil // an empty value is the same as an absent one
	}
	switch {
	case v.Type() == durationType:
		return d.duration(n, v.Addr().Interface().(*Duration), path)
	case v.Type() == reflect.TypeOf(ageType):
		return d.age(n, v.Addr().Interface().(*Age), path)
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(n, v.Elem(), path)
	case v.Kind() == reflect.Struct:
		return d.structValue(n, v, path)
	case v.Kind() == reflect.Slice:
		return d.sliceValue(n, v, path)
	case v.Kind() == reflect.Map:
		return d.mapValue(n, v, path)
	}
	return d.scalar(n, v, path)
}

// structValue fills the fields of struct v, by their yaml tags, from mapping n.
func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.typeError(n, path, "a mapping")
	}
	pairs, err := d.pairs(n, path)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		i := fieldIndex(v.Type(), p.key.Value)
		if i < 0 {
			return newError(d.file, p.key.Line, "unknown key %q %s", p.key.Value, where(path))
		}
		fp := join(path, p.key.Value)
		d.lines[fp] = p.key.Line
		if err := d.decode(p.value, v.Field(i), fp); err != nil {
			return err
		}
	}
	return nil
}

// fieldIndex returns the index of the field of struct type t tagged key, or -1.
func fieldIndex(t reflect.Type, key string) int {
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" && tag == key {
			return i
		}
	}
	return -1
}

// sliceValue fills slice v from sequence n.
func (d *decoder) sliceValue(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.SequenceNode {
		return d.typeError(n, path, "a list")
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := index(path, i)
		d.lines[ip] = item.Line
		if err := d.decode(item, out.Index(i), ip); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

// mapValue fills map v (string keys) from mapping n.
func (d *decoder) mapValue(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.typeError(n, path, "a mapping")
	}
	pairs, err := d.pairs(n, path)
	if err != nil {
		return err
	}
	out := reflect.MakeMapWithSize(v.Type(), len(pairs))
	for _, p := range pairs {
		kp := join(path, p.key.Value)
		d.lines[kp] = p.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := d.decode(p.value, elem, kp); err != nil {
			return err
		}
		out.SetMapIndex(reflect.ValueOf(p.key.Value), elem)
	}
	v.Set(out)
	return nil
}

// scalar fills a string, int or bool from scalar n. Any scalar is accepted as a string
// ("1.2" and 1.2 alike), so version-like values need no quotes.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return d.typeError(n, path, "a string")
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			return d.typeError(n, path, "an integer")
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return d.typeError(n, path, "true or false")
		}
		v.SetBool(b)
	default:
		return newError(d.file, d.line(n, path), "%s: cannot decode into %s", path, v.Type())
	}
	return nil
}

// duration reads a Go duration such as "30s" or "2m".
func (d *decoder) duration(n *yaml.Node, out *Duration, path string) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || out.UnmarshalText([]byte(n.Value)) != nil {
		return d.typeError(n, path, `a duration such as "30s" or "2m"`)
	}
	return nil
}

// typeError reports that the value at path is not what was expected.
func (d *decoder) typeError(n *yaml.Node, path, want string) error {
	return newError(d.file, d.line(n, path), "%s: expected %s, got %s", path, want, describe(n))
}

// line is the line of the key at path if it was seen, else the node's own.
func (d *decoder) line(n *yaml.Node, path string) int {
	if l, ok := d.lines[path]; ok {
		return l
	}
	return n.Line
}

// describe names a node's kind and, for a scalar, its value, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	s := n.Value
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// isNull reports whether n is an empty value ("key:", "~" or "null").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

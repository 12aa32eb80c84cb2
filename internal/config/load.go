package config

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"
)

// SchemaVersion is the only kiln.yaml version this package reads.
const SchemaVersion = 1

// Load reads kiln.yaml at path, then parses, defaults and validates it. A relative path
// is taken from the process's working directory: callers that have a step.Env join it
// with Env.Dir first.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, newError(path, 0, "read config: %v", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, newError(path, 0, "resolve config directory: %v", err)
	}
	return Parse(data, path, dir)
}

// Parse decodes kiln.yaml from data, applies defaults and validates the result. file names
// it in errors; dir is the directory relative paths resolve against.
func Parse(data []byte, file, dir string) (cfg *Config, err error) {
	defer func() {
		// yaml.v3 reports some malformed input by panicking; keep Parse's promise of a *Error.
		if r := recover(); r != nil {
			cfg, err = nil, newError(file, 0, "invalid YAML: %v", r)
		}
	}()
	root, err := parseDocument(data, file)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(root, file); err != nil {
		return nil, err
	}
	c := &Config{File: file, Dir: dir, lines: map[string]int{"": root.Line}}
	d := &decoder{file: file, lines: c.lines}
	if err := d.decode(root, reflect.ValueOf(c).Elem(), ""); err != nil {
		return nil, err
	}
	c.setDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument returns the top-level mapping of the only YAML document in data.
func parseDocument(data []byte, file string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, newError(file, 0, "file is empty; it needs at least version, image, packer and environments")
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(file, data, err)
		}
		return nil, newError(file, extra.Line, "a second YAML document starts here; kiln.yaml holds exactly one")
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, newError(file, 0, "file is empty; it needs at least version, image, packer and environments")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, newError(file, root.Line, "expected a mapping at the top level, got %s", describe(root))
	}
	return root, nil
}

// checkVersion refuses a schema version other than 1 before any other key is looked at,
// so that a newer file gets "unsupported version" rather than "unknown key".
func checkVersion(root *yaml.Node, file string) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "version" || v.Kind != yaml.ScalarNode {
			continue
		}
		var n int
		if v.ShortTag() == "!!int" && v.Decode(&n) == nil && n != SchemaVersion {
			return newError(file, k.Line, "version: unsupported schema version %d; this kiln reads version %d", n, SchemaVersion)
		}
	}
	return nil
}

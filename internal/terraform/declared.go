package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// variableBlock and outputBlock match the start of a variable or output block in HCL.
var (
	variableBlock = regexp.MustCompile(`(?m)^[ \t]*variable[ \t]+"?([A-Za-z_][A-Za-z0-9_-]*)"?[ \t]*\{`)
	outputBlock   = regexp.MustCompile(`(?m)^[ \t]*output[ \t]+"?([A-Za-z_][A-Za-z0-9_-]*)"?[ \t]*\{`)
)

// DeclaredVariables returns the variables the configuration in dir declares, from its .tf
// and .tf.json files (the root module: what a -var-file can set).
func DeclaredVariables(dir string) (map[string]bool, error) {
	return declared(dir, "variable", variableBlock)
}

// DeclaredOutputs returns the outputs the configuration in dir declares (the root module's:
// what kiln reads after an apply).
func DeclaredOutputs(dir string) (map[string]bool, error) {
	return declared(dir, "output", outputBlock)
}

func declared(dir, kind string, block *regexp.Regexp) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("terraform configuration %s: %w", dir, err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("terraform configuration %s: %w", dir, err)
		}
		if strings.HasSuffix(name, ".tf") {
			for _, m := range block.FindAllSubmatch(data, -1) {
				out[string(m[1])] = true
			}
			continue
		}
		var doc map[string]json.RawMessage
		if json.Unmarshal(data, &doc) != nil || len(doc[kind]) == 0 {
			continue
		}
		var one map[string]json.RawMessage
		var many []map[string]json.RawMessage
		if json.Unmarshal(doc[kind], &one) == nil {
			many = append(many, one)
		} else {
			_ = json.Unmarshal(doc[kind], &many)
		}
		for _, m := range many {
			for k := range m {
				out[k] = true
			}
		}
	}
	return out, nil
}

// NamesImage reports whether a resource of the state names image id: the id itself, a
// path or self link ending in it, or, for an AMI recorded with its region
// (us-east-1:ami-...), the AMI id.
func (s *State) NamesImage(id string) bool {
	if s.Names(id) {
		return true
	}
	if _, ami, ok := strings.Cut(id, ":"); ok && strings.HasPrefix(ami, "ami-") && s.Names(ami) {
		return true
	}
	for v := range s.strings {
		if strings.HasSuffix(v, "/"+id) {
			return true
		}
	}
	return false
}

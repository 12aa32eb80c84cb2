package terraform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// StatePull returns the workspace's raw state (terraform state pull): JSON in Terraform's
// state format, read without provider schemas; empty when the workspace has no state.
func (t *TF) StatePull(ctx context.Context) ([]byte, error) {
	t.quiet()
	out, err := t.tf.StatePull(ctx)
	if err != nil {
		return nil, t.wrap("state pull", err)
	}
	return []byte(out), nil
}

// State reads the workspace's state in one `terraform state pull`.
func (t *TF) State(ctx context.Context) (*State, error) {
	raw, err := t.StatePull(ctx)
	if err != nil {
		return nil, err
	}
	return ParseState(raw)
}

// State is what kiln takes from a Terraform state (format 4, as `terraform state pull`
// prints it): its identity (lineage and serial, which every write increments), its
// outputs, and the string values of its resources' attributes.
type State struct {
	Lineage   string
	Serial    int64
	Digest    string            // "sha256:<hex>" of the state as pulled: any edit changes it
	Outputs   map[string]Output // sensitive outputs carry no value
	Resources int               // resource instances
	strings   map[string]bool
}

// rawState is the part of the state file format State reads.
type rawState struct {
	Serial    int64  `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Instances []struct {
			IndexKey   any             `json:"index_key"` // for_each over image ids names them here
			Attributes json.RawMessage `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
	Outputs map[string]struct {
		Value     json.RawMessage `json:"value"`
		Sensitive bool            `json:"sensitive"`
	} `json:"outputs"`
}

// ParseState decodes a raw state; an empty one (no workspace state yet) is an empty State.
func ParseState(raw []byte) (*State, error) {
	s := &State{Outputs: map[string]Output{}, strings: map[string]bool{}}
	if len(bytes.TrimSpace(raw)) == 0 {
		return s, nil
	}
	var st rawState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decode terraform state: %w", err)
	}
	sum := sha256.Sum256(bytes.TrimSpace(raw))
	s.Digest = "sha256:" + hex.EncodeToString(sum[:])
	s.Lineage, s.Serial = st.Lineage, st.Serial
	for name, o := range st.Outputs {
		if o.Sensitive {
			s.Outputs[name] = Output{Sensitive: true}
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, o.Value); err != nil {
			return nil, fmt.Errorf("decode terraform state: output %s: %w", name, err)
		}
		s.Outputs[name] = Output{Value: b.Bytes()}
	}
	for _, r := range st.Resources {
		for _, in := range r.Instances {
			s.Resources++
			if k, ok := in.IndexKey.(string); ok {
				s.strings[k] = true
			}
			if err := WalkStrings(in.Attributes, func(v string) { s.strings[v] = true }); err != nil {
				return nil, fmt.Errorf("decode terraform state: %w", err)
			}
		}
	}
	return s, nil
}

// Names reports whether a resource attribute of the state holds the string v.
func (s *State) Names(v string) bool { return s.strings[v] }

// Strings returns every string value of the resources' attributes, sorted.
func (s *State) Strings() []string {
	out := make([]string, 0, len(s.strings))
	for v := range s.strings {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// WalkStrings calls f for every string inside a JSON value, in a stable order (map keys
// sorted); an empty value holds none.
func WalkStrings(raw json.RawMessage, f func(string)) error {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			f(x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		}
	}
	walk(v)
	return nil
}

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

// rawState is the part of the state file format (format 4, as `terraform state pull`
// prints it) kiln reads.
type rawState struct {
	Serial    int64  `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
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

// Ref is one string of a state that may name an image, and where it is: a resource
// instance's for_each key, or a string value or map key anywhere in its attributes
// (Where is the instance's address, Output is false), or in an output's value (Where is
// "output NAME"). kiln-test, kiln-rotate and kiln-sweep all see an image's uses through it.
type Ref struct {
	Where  string
	Value  string
	Output bool
}

// StateRefs lists every string of a raw state where an image may be named, resources first
// in the state's order, then outputs by name. An empty state has none.
func StateRefs(raw []byte) ([]Ref, error) {
	st, err := decodeState(raw)
	if err != nil || st == nil {
		return nil, err
	}
	return st.refs()
}

func decodeState(raw []byte) (*rawState, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var st rawState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decode terraform state: %w", err)
	}
	return &st, nil
}

func (st *rawState) refs() ([]Ref, error) {
	var out []Ref
	for _, r := range st.Resources {
		addr := r.Type + "." + r.Name
		if r.Mode == "data" {
			addr = "data." + addr
		}
		if r.Module != "" {
			addr = r.Module + "." + addr
		}
		for _, in := range r.Instances {
			a := addr
			switch k := in.IndexKey.(type) {
			case string:
				a += fmt.Sprintf("[%q]", k)
				out = append(out, Ref{Where: a, Value: k})
			case float64:
				a += fmt.Sprintf("[%d]", int(k))
			}
			if err := WalkStrings(in.Attributes, func(v string) { out = append(out, Ref{Where: a, Value: v}) }); err != nil {
				return nil, fmt.Errorf("decode terraform state: %s: %w", a, err)
			}
		}
	}
	names := make([]string, 0, len(st.Outputs))
	for n := range st.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		where := "output " + n
		if err := WalkStrings(st.Outputs[n].Value, func(v string) { out = append(out, Ref{Where: where, Value: v, Output: true}) }); err != nil {
			return nil, fmt.Errorf("decode terraform state: %s: %w", where, err)
		}
	}
	return out, nil
}

// ParseState decodes a raw state; an empty one (no workspace state yet) is an empty State.
func ParseState(raw []byte) (*State, error) {
	s := &State{Outputs: map[string]Output{}, strings: map[string]bool{}}
	st, err := decodeState(raw)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s, nil
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
		s.Resources += len(r.Instances)
	}
	refs, err := st.refs()
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if !r.Output {
			s.strings[r.Value] = true
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
// sorted, each key before its value). Keys count as strings (an image id may key a map
// attribute: one instance per image), except those of the value itself when it is an object:
// a resource's attribute names, not data. An empty value holds none.
func WalkStrings(raw json.RawMessage, f func(string)) error {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	var walk func(any, bool)
	walk = func(v any, top bool) {
		switch x := v.(type) {
		case string:
			f(x)
		case []any:
			for _, e := range x {
				walk(e, false)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !top {
					f(k)
				}
				walk(x[k], false)
			}
		}
	}
	walk(v, true)
	return nil
}

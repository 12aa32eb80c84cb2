package lifecycle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// rawState is the part of a Terraform state file (format 4, as `terraform state pull`
// prints it) that names images: every resource instance's attributes and every output.
type rawState struct {
	Resources []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey   any             `json:"index_key"`
			Attributes json.RawMessage `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
	Outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	} `json:"outputs"`
}

// StateUses records, in uses, every image that a string value of a Terraform state names
// (its id or one of its refs), used by "environment <env>: <resource address>". An empty
// state names nothing.
func StateUses(env string, raw []byte, m registry.Matcher, uses *registry.Uses) error {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil
	}
	var st rawState
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("decode terraform state of %s: %w", env, err)
	}
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
			case float64:
				a += fmt.Sprintf("[%d]", int(k))
			}
			if err := findStrings(in.Attributes, m, func(id string) { uses.Add(id, "environment "+env+": "+a) }); err != nil {
				return fmt.Errorf("decode terraform state of %s: %s: %w", env, a, err)
			}
		}
	}
	names := make([]string, 0, len(st.Outputs))
	for n := range st.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := findStrings(st.Outputs[n].Value, m, func(id string) { uses.Add(id, "environment "+env+": output "+n) }); err != nil {
			return fmt.Errorf("decode terraform state of %s: output %s: %w", env, n, err)
		}
	}
	return nil
}

// findStrings calls found for each string in a JSON value that names an image.
func findStrings(raw json.RawMessage, m registry.Matcher, found func(id string)) error {
	return terraform.WalkStrings(raw, func(s string) {
		if id, ok := m.Match(s); ok {
			found(id)
		}
	})
}

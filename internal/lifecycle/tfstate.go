package lifecycle

import (
	"fmt"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// StateUses records, in uses, every image that a string of a Terraform state names (its id
// or one of its refs): an attribute's value or map key, a for_each key, an output; used by
// "environment <env>: <resource address>" or "environment <env>: output <name>". An empty
// state names nothing.
func StateUses(env string, raw []byte, m registry.Matcher, uses *registry.Uses) error {
	refs, err := terraform.StateRefs(raw)
	if err != nil {
		return fmt.Errorf("environment %s: %w", env, err)
	}
	for _, r := range refs {
		if id, ok := m.Match(r.Value); ok {
			uses.Add(id, "environment "+env+": "+r.Where)
		}
	}
	return nil
}

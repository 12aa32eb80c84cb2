package strategy

import (
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Missing returns what the Terraform configuration in dir lacks for strategy s, as
// "variable NAME" and "output NAME": the slot variables under their configured names, the
// outputs kiln reads back (RequiredOutputs), and the statistics URL when a health or
// analysis gate watches the load balancer. kiln-validate checks it offline, kiln-promote
// before it applies anything.
func Missing(s config.Strategy, dir string) ([]string, error) {
	vars, err := terraform.DeclaredVariables(dir)
	if err != nil {
		return nil, err
	}
	outs, err := terraform.DeclaredOutputs(dir)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, v := range s.Variables.Names() {
		if !vars[v] {
			missing = append(missing, "variable "+v)
		}
	}
	need := append([]string(nil), RequiredOutputs...)
	if s.Watch() != nil {
		need = append(need, OutputStatsURL)
	}
	for _, o := range need {
		if !outs[o] {
			missing = append(missing, "output "+o)
		}
	}
	return missing, nil
}

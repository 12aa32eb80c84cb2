package validate

import (
	"strings"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/strategy"
)

// checkStrategy checks, without running anything, that the promote environment's
// configuration declares what a blue-green or canary promote.strategy needs
// (docs/strategies.md): the four slot variables under their configured names, the outputs
// kiln-promote reads back, and stats_url when a health or analysis gate reads the load
// balancer's statistics. It returns a usage error at promote.strategy's line naming every
// missing name (kiln-promote refuses the same configuration with the same line before it
// applies anything), and nil for replace or when the environment or its directory is
// missing (reported by the image variable check).
func checkStrategy(cfg *config.Config) error {
	s := cfg.Promote.Strategy
	if s.IsReplace() {
		return nil
	}
	env, err := cfg.Env(cfg.Promote.Environment)
	if err != nil {
		return nil
	}
	missing, err := strategy.Missing(s, cfg.Path(env.Terraform))
	if err != nil {
		return nil
	}
	if len(missing) == 0 {
		return nil
	}
	return cfg.Errorf("promote.strategy", "%s strategy: %s (%s) lacks %s (see docs/strategies.md)",
		s.Type, cfg.Promote.Environment, env.Terraform, strings.Join(missing, ", "))
}

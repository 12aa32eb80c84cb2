package gate

import (
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
)

// NotPromoteTarget refuses (exit 8) a deploy by binary into promote.environment or into an
// environment that shares its Terraform state: only kiln-promote and kiln-rollback, behind
// the gate, deploy there. An unknown environment is left to the caller (exit 2).
func NotPromoteTarget(cfg *config.Config, env, binary string) error {
	p := cfg.Promote.Environment
	switch {
	case env == p:
		return exitcode.New(exitcode.PromotionRefused, "%s refuses %s, the promote environment: only kiln-promote deploys there, and only a tested image", binary, env)
	case cfg.SameTarget(env, p):
		return exitcode.New(exitcode.PromotionRefused, "%s refuses %s: it deploys into the Terraform state of %s, the promote environment", binary, env, p)
	}
	return nil
}

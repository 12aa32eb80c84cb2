package config

import "strings"

// DefaultPlanKeyMount is the transit mount of promote.plan_key when it names none.
const DefaultPlanKeyMount = "transit"

// PlanTransitKey splits promote.plan_key into the transit mount and the key's name:
// "kiln-plan" is transit/kiln-plan, "ci/transit/kiln-plan" is key kiln-plan under the mount
// ci/transit. It returns "", "" when plan_key is empty (the key is then KILN_PLAN_KEY).
func (p Promote) PlanTransitKey() (mount, key string) {
	if p.PlanKey == "" {
		return "", ""
	}
	i := strings.LastIndex(p.PlanKey, "/")
	if i < 0 {
		return DefaultPlanKeyMount, p.PlanKey
	}
	return p.PlanKey[:i], p.PlanKey[i+1:]
}

// validatePromotePlan checks promote.require_reviewed_plan (only with the replace strategy,
// whose one apply is the reviewed plan) and promote.plan_key: a transit key's name,
// optionally after its mount path, with a vault block to log in with.
func (c *Config) validatePromotePlan() error {
	p := c.Promote
	if p.RequireReviewedPlan && !p.Strategy.IsReplace() {
		return c.errorf("promote.require_reviewed_plan", "promote.require_reviewed_plan: the reviewed plan is one apply of %s "+
			"(strategy replace); strategy %s applies it in steps it plans itself", p.Environment, p.Strategy.Type)
	}
	if !c.has("promote.plan_key") {
		return nil
	}
	const at = "promote.plan_key"
	mount, key := p.PlanTransitKey()
	switch {
	case p.PlanKey == "":
		return c.errorf(at, "%s: is empty; name a Vault transit key (KEY or MOUNT/KEY), or leave it out to use the KILN_PLAN_KEY variable", at)
	case !identRE.MatchString(key) || !mountRE.MatchString(mount):
		return c.errorf(at, "%s: %q is not a Vault transit key name such as \"kiln-plan\" or \"transit/kiln-plan\"", at, p.PlanKey)
	case c.Vault == nil:
		return c.errorf(at, "%s: a Vault transit key needs a vault block to log in with (or leave plan_key out to use the KILN_PLAN_KEY variable)", at)
	}
	return nil
}

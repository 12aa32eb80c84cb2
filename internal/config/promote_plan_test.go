package config

import "testing"

// TestPromotePlan: require_reviewed_plan is false unless set; plan_key names a transit key
// (mount transit unless given) and needs a vault block; mistakes are one line at their line.
func TestPromotePlan(t *testing.T) {
	vault := "vault:\n  auth: { method: token }\n"
	for _, tc := range []struct {
		name, yaml string
		require    bool
		mount, key string
		want       string
	}{
		{name: "defaults", yaml: base},
		{name: "required", yaml: base + "promote:\n  require_reviewed_plan: true\n", require: true},
		{name: "transit key", yaml: base + vault + "promote:\n  plan_key: kiln-plan\n", mount: "transit", key: "kiln-plan"},
		{name: "transit key under a mount", yaml: base + vault + "promote:\n  plan_key: ci/transit/kiln-plan\n", mount: "ci/transit", key: "kiln-plan"},
		{name: "not a boolean", yaml: base + "promote:\n  require_reviewed_plan: sometimes\n",
			want: `kiln.yaml:10: promote.require_reviewed_plan: expected true or false, got "sometimes"`},
		{name: "empty key", yaml: base + vault + "promote:\n  plan_key: \"\"\n",
			want: `kiln.yaml:12: promote.plan_key: is empty; name a Vault transit key (KEY or MOUNT/KEY), or leave it out to use the KILN_PLAN_KEY variable`},
		{name: "bad key", yaml: base + vault + "promote:\n  plan_key: transit/keys/\n",
			want: `kiln.yaml:12: promote.plan_key: "transit/keys/" is not a Vault transit key name such as "kiln-plan" or "transit/kiln-plan"`},
		{name: "bad mount", yaml: base + vault + "promote:\n  plan_key: /kiln-plan\n",
			want: `kiln.yaml:12: promote.plan_key: "/kiln-plan" is not a Vault transit key name such as "kiln-plan" or "transit/kiln-plan"`},
		{name: "with another strategy", yaml: base + "  prod:\n    terraform: tf/\npromote:\n  require_reviewed_plan: true\n  strategy:\n    type: blue-green\n",
			want: `kiln.yaml:12: promote.require_reviewed_plan: the reviewed plan is one apply of prod (strategy replace); strategy blue-green applies it in steps it plans itself`},
		{name: "no vault block", yaml: base + "promote:\n  plan_key: kiln-plan\n",
			want: `kiln.yaml:10: promote.plan_key: a Vault transit key needs a vault block to log in with (or leave plan_key out to use the KILN_PLAN_KEY variable)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if tc.want != "" {
				if err == nil || err.Error() != tc.want {
					t.Fatalf("Load: %v\nwant: %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mount, key := c.Promote.PlanTransitKey()
			if c.Promote.RequireReviewedPlan != tc.require || mount != tc.mount || key != tc.key {
				t.Fatalf("require %v, transit key %q %q", c.Promote.RequireReviewedPlan, mount, key)
			}
		})
	}
}

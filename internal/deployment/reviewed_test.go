package deployment

import (
	"testing"

	"github.com/kiln-ci/kiln/internal/terraform"
)

// TestStateChange: a plan applies only to the state it was made against; no state on both
// sides counts as the same only for a plan made against no state.
func TestStateChange(t *testing.T) {
	none := &terraform.State{}
	st := func(lineage string, serial int64) *terraform.State {
		return &terraform.State{Lineage: lineage, Serial: serial, Digest: "sha256:x"}
	}
	for _, tc := range []struct {
		name    string
		lineage string
		serial  int64
		now     *terraform.State
		want    string
	}{
		{"no state, none", "", 0, none, ""},
		{"same", "l-1", 7, st("l-1", 7), ""},
		{"serial moved on", "l-1", 7, st("l-1", 9), "serial 7 -> 9"},
		{"another lineage", "l-1", 7, st("l-2", 7), "lineage l-1 -> l-2 (another state)"},
		{"created since", "", 0, st("l-1", 3), "it had no state, now serial 3 (lineage l-1)"},
		{"gone since", "l-1", 7, none, "serial 7 -> no state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stateChange(tc.lineage, tc.serial, tc.now); got != tc.want {
				t.Fatalf("stateChange = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWithoutPlanKey: Terraform inherits neither the variable nor a secret called
// KILN_PLAN_KEY; everything else passes.
func TestWithoutPlanKey(t *testing.T) {
	inherited, secrets := withoutPlanKey([]string{"PATH=/bin", "KILN_PLAN_KEY=k", "KILN_PLAN_KEYS=x"},
		map[string]string{"KILN_PLAN_KEY": "k", "DB": "pw"})
	if len(inherited) != 2 || inherited[0] != "PATH=/bin" || inherited[1] != "KILN_PLAN_KEYS=x" {
		t.Fatalf("inherited %v", inherited)
	}
	if _, ok := secrets["KILN_PLAN_KEY"]; ok || secrets["DB"] != "pw" {
		t.Fatalf("secrets %v", secrets)
	}
}

package config

import (
	"fmt"
	"testing"
	"time"
)

func TestLifecycleKeys(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name, yaml string
		got        func(*Config) string
		want       string
	}{
		{"no lifecycle", base, func(c *Config) string { return fmt.Sprint(c.Lifecycle == nil) }, "true"},
		{"full policy", base + "lifecycle: {keep: 2, deprecate_after: 30d, obsolete_after: 60d, delete_after: 13w}\n",
			func(c *Config) string {
				l := c.Lifecycle
				return fmt.Sprint(l.Keep, " ", int(l.DeprecateAfter.Duration/day), " ", int(l.ObsoleteAfter.Duration/day), " ", int(l.DeleteAfter.Duration/day))
			}, "2 30 60 91"},
		{"keep defaults to 3", base + "lifecycle: {deprecate_after: 36h}\n",
			func(c *Config) string { return fmt.Sprint(c.Lifecycle.Keep, " ", c.Lifecycle.DeprecateAfter.Duration) }, "3 36h0m0s"},
		{"keep 0 is kept", base + "lifecycle: {keep: 0, deprecate_after: 1d}\n",
			func(c *Config) string { return fmt.Sprint(c.Lifecycle.Keep) }, "0"},
		{"aws pointer default", base + "registry: {type: aws, region: eu-west-1}\n",
			func(c *Config) string { return c.Registry.FamilyPointer + " " + c.Registry.SSMParameter }, "tag "},
		{"aws ssm default parameter", base + "registry: {type: aws, family_pointer: ssm}\n",
			func(c *Config) string { return c.Registry.FamilyPointer + " " + c.Registry.SSMParameter }, "ssm /kiln/families/demo"},
		{"aws ssm parameter", base + "registry: {type: aws, family_pointer: ssm, ssm_parameter: /teams/web/image}\n",
			func(c *Config) string { return c.Registry.SSMParameter }, "/teams/web/image"},
		{"local has no pointer kind", base, func(c *Config) string { return c.Registry.FamilyPointer }, ""},
		{"image base", "version: 1\nimage: {family: demo, base: debian-12-bookworm-v20261001}\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n",
			func(c *Config) string { return c.Image.Base }, "debian-12-bookworm-v20261001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.got(c); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLifecycleErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", base + "lifecycle: {keep: 1, retain: 2}\n", `kiln.yaml:9: unknown key "retain" in lifecycle`},
		{"bad age", base + "lifecycle:\n  deprecate_after: 30 days\n", `kiln.yaml:10: lifecycle.deprecate_after: expected an age such as "30d", "2w" or "36h", got "30 days"`},
		{"age is a list", base + "lifecycle:\n  deprecate_after: [1]\n", `kiln.yaml:10: lifecycle.deprecate_after: expected an age such as "30d", "2w" or "36h", got a list`},
		{"keep not int", base + "lifecycle:\n  keep: many\n", `kiln.yaml:10: lifecycle.keep: expected an integer, got "many"`},
		{"negative keep", base + "lifecycle:\n  keep: -1\n", `kiln.yaml:10: lifecycle.keep: -1 must not be negative`},
		{"zero age", base + "lifecycle:\n  deprecate_after: 0d\n", `kiln.yaml:10: lifecycle.deprecate_after: must be longer than 0 (leave it out to never move images on)`},
		{"negative age", base + "lifecycle:\n  deprecate_after: -5h\n", `kiln.yaml:10: lifecycle.deprecate_after: must not be negative`},
		{"obsolete without deprecate", base + "lifecycle:\n  obsolete_after: 60d\n", `kiln.yaml:10: lifecycle.obsolete_after: needs lifecycle.deprecate_after: images go through each state in turn`},
		{"delete without obsolete", base + "lifecycle:\n  deprecate_after: 30d\n  delete_after: 90d\n", `kiln.yaml:11: lifecycle.delete_after: needs lifecycle.obsolete_after: images go through each state in turn`},
		{"out of order", base + "lifecycle:\n  deprecate_after: 30d\n  obsolete_after: 2w\n", `kiln.yaml:11: lifecycle.obsolete_after: 14d must be later than deprecate_after (30d)`},
		{"equal ages", base + "lifecycle:\n  deprecate_after: 30d\n  obsolete_after: 60d\n  delete_after: 60d\n", `kiln.yaml:12: lifecycle.delete_after: 60d must be later than obsolete_after (60d)`},
		{"pointer not aws", base + "registry:\n  type: gcp\n  family_pointer: tag\n", `kiln.yaml:11: registry.family_pointer: only used with type aws, not gcp`},
		{"pointer kind", base + "registry:\n  type: aws\n  family_pointer: dynamodb\n", `kiln.yaml:11: registry.family_pointer: "dynamodb" is not one of tag, ssm`},
		{"parameter without ssm", base + "registry:\n  type: aws\n  ssm_parameter: /kiln/x\n", `kiln.yaml:11: registry.ssm_parameter: only used with family_pointer ssm`},
		{"parameter name", base + "registry:\n  type: aws\n  family_pointer: ssm\n  ssm_parameter: kiln x\n", `kiln.yaml:12: registry.ssm_parameter: "kiln x" is not an SSM parameter name such as "/kiln/families/web"`},
		{"parameter reserved", base + "registry:\n  type: aws\n  family_pointer: ssm\n  ssm_parameter: /aws/x\n", `kiln.yaml:12: registry.ssm_parameter: "/aws/x" is not an SSM parameter name such as "/kiln/families/web"`},
		{"base two lines", "version: 1\nimage:\n  family: demo\n  base: \"a\\nb\"\npacker: {template: p}\nenvironments: {dev: {terraform: t}}\n", `kiln.yaml:4: image.base: must be one line of at most 1024 characters`},
		{"base_image var with base", "version: 1\nimage: {family: demo, base: b}\npacker:\n  template: p\n  vars: {base_image: x}\nenvironments: {dev: {terraform: t}}\n", `kiln.yaml:5: packer.vars: "base_image" is set by kiln itself from image.base`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "kiln.yaml", "/repo")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Parse error\n got: %v\nwant: %s", err, tc.want)
			}
			assertConfigError(t, err)
		})
	}
}

func TestParseAge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1.5d", 0, false},
		{"d", 0, false},
		{"", 0, false},
		{"999999d", 0, false},
	} {
		got, err := ParseAge(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{30 * 24 * time.Hour, "30d"}, {36 * time.Hour, "36h0m0s"}} {
		if b, _ := (Age{tc.d}).MarshalText(); string(b) != tc.want {
			t.Errorf("MarshalText(%v) = %s, want %s", tc.d, b, tc.want)
		}
	}
}

package config

import (
	"fmt"
	"testing"
	"time"
)

// strategyBase adds prod (lines 9-10) to base and opens promote.strategy at line 12: a
// key appended to it is at line 13.
const strategyBase = base + "  prod:\n    terraform: tf/\npromote:\n  strategy:\n"

func TestStrategyKeys(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		got        func(*Config) string
		want       string
	}{
		{"no strategy is replace", base, func(c *Config) string {
			s := c.Promote.Strategy
			return fmt.Sprint(s.Type, " ", s.IsReplace(), " ", s.Variables.Names(), " ", s.Watch() == nil)
		}, " true [   ] true"},
		{"blue-green defaults", strategyBase + "    type: blue-green\n", func(c *Config) string {
			s := c.Promote.Strategy
			return fmt.Sprint(s.Type, " ", s.IsReplace(), " ", s.Drain.Duration, " ", s.Variables.Names(), " ", s.Health == nil)
		}, "blue-green false 30s [live_slot image_blue image_green weight_green] true"},
		{"blue-green with health", strategyBase + "    type: blue-green\n    drain: 0s\n    health: {max_error_rate: 0.01, max_p99: 500ms}\n",
			func(c *Config) string {
				s := c.Promote.Strategy
				f, err := s.Watch().MaxErrorRate.Fraction()
				return fmt.Sprint(s.Drain.Duration, " ", f, " ", err, " ", s.Health.MaxP99.Duration, " ", s.Health.Interval.Duration, " ", s.Health.MinRequests)
			}, "0s 0.01 <nil> 500ms 2s 0"},
		{"canary", strategyBase + "    type: canary\n    steps: [{weight: 10, pause: 30s}, {weight: 50, pause: 1m}]\n" +
			"    analysis: {max_error_rate: \"2.5%\", min_requests: 20, interval: 500ms}\n    variables: {live_slot: active, weight_green: green_share}\n",
			func(c *Config) string {
				s := c.Promote.Strategy
				f, _ := s.Watch().MaxErrorRate.Fraction()
				return fmt.Sprint(s.Drain.Duration, " ", s.Steps, " ", f, " ", s.Analysis.MinRequests, " ", s.Analysis.Interval.Duration, " ", s.Variables.Names())
			}, "0s [{10 30s} {50 1m0s}] 0.025 20 500ms [active image_blue image_green green_share]"},
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

func TestStrategyErrors(t *testing.T) {
	canary := strategyBase + "    type: canary\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"scalar", base + "  prod:\n    terraform: tf/\npromote:\n  strategy: canary\n", `kiln.yaml:12: promote.strategy: expected a mapping, got "canary"`},
		{"unknown type", strategyBase + "    type: rolling\n", `kiln.yaml:13: promote.strategy.type: "rolling" is not one of replace, blue-green, canary`},
		{"unknown key", strategyBase + "    type: canary\n    surge: 1\n", `kiln.yaml:14: unknown key "surge" in promote.strategy`},
		{"drain with replace", strategyBase + "    drain: 30s\n", `kiln.yaml:13: promote.strategy.drain: not used with type replace`},
		{"variables with replace", strategyBase + "    type: replace\n    variables: {live_slot: x}\n", `kiln.yaml:14: promote.strategy.variables: not used with type replace`},
		{"steps with blue-green", strategyBase + "    type: blue-green\n    steps: [{weight: 10, pause: 1s}]\n", `kiln.yaml:14: promote.strategy.steps: not used with type blue-green`},
		{"analysis with blue-green", strategyBase + "    type: blue-green\n    analysis: {max_p99: 1s}\n", `kiln.yaml:14: promote.strategy.analysis: not used with type blue-green`},
		{"health with canary", canary + "    health: {max_p99: 1s}\n", `kiln.yaml:14: promote.strategy.health: not used with type canary`},
		{"negative drain", strategyBase + "    type: blue-green\n    drain: -1s\n", `kiln.yaml:14: promote.strategy.drain: must not be negative`},
		{"drain not a duration", strategyBase + "    type: blue-green\n    drain: 30\n", `kiln.yaml:14: promote.strategy.drain: expected a duration such as "30s" or "2m", got "30"`},
		{"canary without steps", canary, `kiln.yaml:12: promote.strategy: a canary needs steps, such as [{weight: 10, pause: 30s}]`},
		{"empty steps", canary + "    steps: []\n", `kiln.yaml:14: promote.strategy.steps: at least one step is required`},
		{"weight 100", canary + "    steps:\n      - {weight: 100, pause: 1s}\n", `kiln.yaml:15: promote.strategy.steps[0].weight: 100 is not a share between 1 and 99 (100 follows the last step)`},
		{"weight 0", canary + "    steps:\n      - {weight: 0, pause: 1s}\n", `kiln.yaml:15: promote.strategy.steps[0].weight: 0 is not a share between 1 and 99 (100 follows the last step)`},
		{"falling weights", canary + "    steps:\n      - {weight: 50, pause: 1s}\n      - weight: 20\n        pause: 1s\n",
			`kiln.yaml:16: promote.strategy.steps[1].weight: 20 does not rise above the step before (50)`},
		{"no pause", canary + "    steps:\n      - weight: 10\n", `kiln.yaml:15: promote.strategy.steps[0].pause: must be longer than 0 (how long the step is held and watched)`},
		{"weight not int", canary + "    steps:\n      - {weight: ten, pause: 1s}\n", `kiln.yaml:15: promote.strategy.steps[0].weight: expected an integer, got "ten"`},
		{"error rate above 1", canary + "    steps: [{weight: 10, pause: 1s}]\n    analysis:\n      max_error_rate: 5\n",
			`kiln.yaml:16: promote.strategy.analysis.max_error_rate: "5" is not a share between 0 and 1 (0.01 or "1%")`},
		{"error rate words", canary + "    steps: [{weight: 10, pause: 1s}]\n    analysis:\n      max_error_rate: low\n",
			`kiln.yaml:16: promote.strategy.analysis.max_error_rate: "low" is not a share between 0 and 1 (0.01 or "1%")`},
		{"error rate NaN", canary + "    steps: [{weight: 10, pause: 1s}]\n    analysis:\n      max_error_rate: .nan\n",
			`kiln.yaml:16: promote.strategy.analysis.max_error_rate: ".nan" is not a share between 0 and 1 (0.01 or "1%")`},
		{"zero p99", strategyBase + "    type: blue-green\n    health:\n      max_p99: 0s\n", `kiln.yaml:15: promote.strategy.health.max_p99: must be longer than 0 (leave it out for no latency gate)`},
		{"negative min requests", strategyBase + "    type: blue-green\n    health:\n      min_requests: -2\n", `kiln.yaml:15: promote.strategy.health.min_requests: -2 must not be negative`},
		{"negative interval", strategyBase + "    type: blue-green\n    health:\n      interval: -1s\n", `kiln.yaml:15: promote.strategy.health.interval: must be longer than 0`},
		{"bad variable", strategyBase + "    type: blue-green\n    variables:\n      live_slot: live slot\n", `kiln.yaml:15: promote.strategy.variables.live_slot: "live slot" is not a valid Terraform variable name`},
		{"same variable twice", strategyBase + "    type: blue-green\n    variables:\n      image_blue: img\n      image_green: img\n",
			`kiln.yaml:16: promote.strategy.variables.image_green: "img" is also promote.strategy.variables.image_blue`},
		{"the image variable", strategyBase + "    type: blue-green\n    variables:\n      image_green: image_id\n",
			`kiln.yaml:15: promote.strategy.variables.image_green: "image_id" receives the image id; name another variable`},
		{"set in the environment's vars", base + "  prod:\n    terraform: tf/\n    vars: {weight_green: 5}\npromote:\n  strategy: {type: canary, steps: [{weight: 1, pause: 1s}]}\n",
			`kiln.yaml:11: environments.prod.vars: "weight_green" is set by kiln's canary strategy (promote.strategy.variables.weight_green)`},
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

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		in   Ratio
		want float64
		ok   bool
	}{{"", 0, true}, {"0.01", 0.01, true}, {"1%", 0.01, true}, {" 30 % ", 0.3, true}, {"1e-3", 0.001, true}, {"%", 0, false}, {"x", 0, false}} {
		got, err := tc.in.Fraction()
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprintf("%.6f", got) != fmt.Sprintf("%.6f", tc.want)) {
			t.Errorf("Ratio(%q).Fraction() = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if DefaultWatchInterval != 2*time.Second {
		t.Errorf("the documented default interval is 2s, not %s", DefaultWatchInterval)
	}
}

package config

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The promotion strategies promote.strategy.type may name.
const (
	StrategyReplace   = "replace"    // one apply with the new image (the default)
	StrategyBlueGreen = "blue-green" // a second slot, checked, then all traffic at once
	StrategyCanary    = "canary"     // a second slot, checked, then traffic in steps
)

// Defaults of promote.strategy.
const (
	DefaultBlueGreenDrain = 30 * time.Second
	DefaultWatchInterval  = 2 * time.Second
)

// Strategy is promote.strategy: how kiln-promote moves the promote environment to the new
// image. Every strategy but replace works through the Terraform variables of Variables
// (docs/strategies.md): kiln drives the sequence, Terraform changes the infrastructure.
type Strategy struct {
	Type string `yaml:"type"` // replace (the default; also when empty) | blue-green | canary
	// Drain is how long the old slot stays up after all traffic went to the new one, while
	// kiln watches the new slot's health (default 30s for blue-green, 0 for canary).
	Drain Duration `yaml:"drain"`
	// Health are blue-green's thresholds, watched during Drain.
	Health *Thresholds `yaml:"health"`
	// Steps are canary's traffic weights for the new slot, each held for its pause while
	// Analysis is watched; 100 comes after the last.
	Steps []CanaryStep `yaml:"steps"`
	// Analysis are canary's thresholds, watched during each step and during Drain.
	Analysis  *Thresholds       `yaml:"analysis"`
	Variables StrategyVariables `yaml:"variables"`
}

// CanaryStep is one canary step: the new slot's share of traffic, in percent, and how long
// it is held.
type CanaryStep struct {
	Weight int      `yaml:"weight"`
	Pause  Duration `yaml:"pause"`
}

// Thresholds are what the load balancer's statistics of the new slot must stay within over
// a window; an unset threshold is not checked. The slot must also stay up.
type Thresholds struct {
	// MaxErrorRate is the largest share of the slot's requests that may fail (5xx responses,
	// connection and response errors): 0.01 or "1%".
	MaxErrorRate Ratio `yaml:"max_error_rate"`
	// MaxP99 bounds the slot's response time (see docs/strategies.md for what HAProxy's
	// statistics offer).
	MaxP99 Duration `yaml:"max_p99"`
	// MinRequests is how many requests the window must hold before the error rate counts
	// (default 0).
	MinRequests int `yaml:"min_requests"`
	// Interval is how often the statistics are read (default 2s).
	Interval Duration `yaml:"interval"`
}

// StrategyVariables name the Terraform variables of the configuration that a strategy sets.
type StrategyVariables struct {
	LiveSlot    string `yaml:"live_slot"`    // "blue" or "green": the slot that serves
	ImageBlue   string `yaml:"image_blue"`   // the blue slot's image ("": no blue slot)
	ImageGreen  string `yaml:"image_green"`  // the green slot's image ("": no green slot)
	WeightGreen string `yaml:"weight_green"` // the green slot's share of traffic, 0..100
}

// Names returns the variable names in the order live_slot, image_blue, image_green,
// weight_green.
func (v StrategyVariables) Names() []string {
	return []string{v.LiveSlot, v.ImageBlue, v.ImageGreen, v.WeightGreen}
}

// Ratio is a share written as a fraction (0.01) or a percentage ("1%").
type Ratio string

// Fraction returns r as a fraction of 1; an empty Ratio is 0.
func (r Ratio) Fraction() (float64, error) {
	s := strings.TrimSpace(string(r))
	if s == "" {
		return 0, nil
	}
	scale := 1.0
	if p, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, strconv.ErrSyntax
	}
	return f / scale, nil
}

// IsReplace reports whether the strategy is replace: one apply, today's behaviour.
func (s Strategy) IsReplace() bool { return s.Type == "" || s.Type == StrategyReplace }

// Watch returns the thresholds of the strategy's watch windows (health for blue-green,
// analysis for canary); nil when there are none.
func (s Strategy) Watch() *Thresholds {
	if s.Type == StrategyCanary {
		return s.Analysis
	}
	return s.Health
}

// setStrategyDefaults fills promote.strategy's defaults.
func (c *Config) setStrategyDefaults() {
	s := &c.Promote.Strategy
	if s.IsReplace() {
		return // Type stays as written: "" is replace too
	}
	if s.Type == StrategyBlueGreen && !c.has("promote.strategy.drain") {
		s.Drain.Duration = DefaultBlueGreenDrain
	}
	for _, t := range []*Thresholds{s.Health, s.Analysis} {
		if t != nil {
			defDuration(&t.Interval, DefaultWatchInterval)
		}
	}
	v := &s.Variables
	def(&v.LiveSlot, "live_slot")
	def(&v.ImageBlue, "image_blue")
	def(&v.ImageGreen, "image_green")
	def(&v.WeightGreen, "weight_green")
}

// validateStrategy checks promote.strategy: a known type, only the keys that type uses,
// canary weights rising within 1..99, thresholds in range, and variable names Terraform
// accepts that kiln.yaml does not set otherwise.
func (c *Config) validateStrategy() error {
	s := c.Promote.Strategy
	const p = "promote.strategy"
	switch s.Type {
	case "", StrategyReplace, StrategyBlueGreen, StrategyCanary:
	default:
		return c.errorf(p+".type", "%s.type: %q is not one of replace, blue-green, canary", p, s.Type)
	}
	typ := s.Type
	if s.IsReplace() {
		typ = StrategyReplace
	}
	for _, k := range []struct {
		key  string
		used bool
	}{{"drain", typ != StrategyReplace}, {"variables", typ != StrategyReplace},
		{"health", s.Type == StrategyBlueGreen}, {"steps", s.Type == StrategyCanary}, {"analysis", s.Type == StrategyCanary}} {
		if c.has(p+"."+k.key) && !k.used {
			return c.errorf(p+"."+k.key, "%s.%s: not used with type %s", p, k.key, typ)
		}
	}
	if typ == StrategyReplace {
		return nil
	}
	if s.Drain.Duration < 0 {
		return c.errorf(p+".drain", "%s.drain: must not be negative", p)
	}
	if err := c.validateCanarySteps(s); err != nil {
		return err
	}
	for _, t := range []struct {
		key string
		t   *Thresholds
	}{{"health", s.Health}, {"analysis", s.Analysis}} {
		if err := c.validateThresholds(p+"."+t.key, t.t); err != nil {
			return err
		}
	}
	return c.validateStrategyVariables(s.Variables)
}

// validateCanarySteps checks canary's steps: at least one, weights rising within 1..99,
// each held for a positive pause.
func (c *Config) validateCanarySteps(s Strategy) error {
	const p = "promote.strategy.steps"
	if s.Type != StrategyCanary {
		return nil
	}
	if len(s.Steps) == 0 {
		if c.has(p) {
			return c.errorf(p, "%s: at least one step is required", p)
		}
		return c.errorf("promote.strategy", "promote.strategy: a canary needs steps, such as [{weight: 10, pause: 30s}]")
	}
	last := 0
	for i, st := range s.Steps {
		at := index(p, i)
		switch {
		case st.Weight < 1 || st.Weight > 99:
			return c.errorf(at+".weight", "%s.weight: %d is not a share between 1 and 99 (100 follows the last step)", at, st.Weight)
		case st.Weight <= last:
			return c.errorf(at+".weight", "%s.weight: %d does not rise above the step before (%d)", at, st.Weight, last)
		case st.Pause.Duration <= 0:
			return c.errorf(at+".pause", "%s.pause: must be longer than 0 (how long the step is held and watched)", at)
		}
		last = st.Weight
	}
	return nil
}

// validateThresholds checks one thresholds block at path.
func (c *Config) validateThresholds(p string, t *Thresholds) error {
	if t == nil {
		return nil
	}
	if f, err := t.MaxErrorRate.Fraction(); err != nil || f < 0 || f > 1 {
		return c.errorf(p+".max_error_rate", "%s.max_error_rate: %q is not a share between 0 and 1 (0.01 or \"1%%\")", p, t.MaxErrorRate)
	}
	switch {
	case t.MaxP99.Duration < 0 || (t.MaxP99.Duration == 0 && c.has(p+".max_p99")):
		return c.errorf(p+".max_p99", "%s.max_p99: must be longer than 0 (leave it out for no latency gate)", p)
	case t.MinRequests < 0:
		return c.errorf(p+".min_requests", "%s.min_requests: %d must not be negative", p, t.MinRequests)
	case t.Interval.Duration <= 0:
		return c.errorf(p+".interval", "%s.interval: must be longer than 0", p)
	}
	return nil
}

// validateStrategyVariables checks the variable names: valid, distinct, and neither the
// image variable nor a variable the promote environment's vars set.
func (c *Config) validateStrategyVariables(v StrategyVariables) error {
	const p = "promote.strategy.variables"
	env := c.Environments[c.Promote.Environment]
	seen := map[string]string{}
	for i, key := range []string{"live_slot", "image_blue", "image_green", "weight_green"} {
		name, at := v.Names()[i], p+"."+key
		switch {
		case !identRE.MatchString(name):
			return c.errorf(at, "%s: %q is not a valid Terraform variable name", at, name)
		case seen[name] != "":
			return c.errorf(at, "%s: %q is also %s.%s", at, name, p, seen[name])
		case name == env.ImageVar:
			return c.errorf(at, "%s: %q receives the image id; name another variable", at, name)
		}
		if _, ok := env.Vars[name]; ok {
			return c.errorf("environments."+c.Promote.Environment+".vars."+name,
				"environments.%s.vars: %q is set by kiln's %s strategy (%s)", c.Promote.Environment, name, c.Promote.Strategy.Type, at)
		}
		seen[name] = key
	}
	return nil
}

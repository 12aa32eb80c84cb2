package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Lifecycle is the image rotation policy kiln-rotate follows. Ages count from an image's
// creation; a state is never cut short (see internal/lifecycle).
type Lifecycle struct {
	Keep           int `yaml:"keep"`            // the newest Keep READY images stay READY; default 3
	DeprecateAfter Age `yaml:"deprecate_after"` // READY -> DEPRECATED; empty: never
	ObsoleteAfter  Age `yaml:"obsolete_after"`  // -> OBSOLETE; needs deprecate_after
	DeleteAfter    Age `yaml:"delete_after"`    // -> DELETED; needs obsolete_after
}

// Age is a duration written in days or weeks ("30d", "2w") or as Go writes durations ("36h").
type Age struct{ time.Duration }

var ageRE = regexp.MustCompile(`^([0-9]{1,5})([dw])$`)

// ParseAge reads "30d", "2w" or a Go duration such as "36h".
func ParseAge(s string) (time.Duration, error) {
	if m := ageRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("parse age %q: want days such as \"30d\", weeks such as \"2w\" or hours such as \"36h\"", s)
	}
	return d, nil
}

// MarshalText writes a as "30d" when it is a whole number of days, else as "36h0m0s".
func (a Age) MarshalText() ([]byte, error) {
	if a.Duration%(24*time.Hour) == 0 {
		return []byte(strconv.FormatInt(int64(a.Duration/(24*time.Hour)), 10) + "d"), nil
	}
	return []byte(a.Duration.String()), nil
}

// UnmarshalText reads a from "30d", "2w" or "36h".
func (a *Age) UnmarshalText(b []byte) error {
	d, err := ParseAge(string(b))
	a.Duration = d
	return err
}

var ageType = Age{}

// age decodes an Age scalar.
func (d *decoder) age(n *yaml.Node, out *Age, path string) error {
	if n.Kind != yaml.ScalarNode || out.UnmarshalText([]byte(n.Value)) != nil {
		return d.typeError(n, path, `an age such as "30d", "2w" or "36h"`)
	}
	return nil
}

// DefaultKeep is lifecycle.keep's default.
const DefaultKeep = 3

// The family pointer kinds registry.family_pointer may name (AWS only).
const (
	PointerTag = "tag" // tags on the images (default)
	PointerSSM = "ssm" // an SSM parameter holding the AMI id, with its version history
)

// ssmParameterRE is an SSM parameter name: a path of letters, digits and _.-, starting
// with a slash.
var ssmParameterRE = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+$`)

// setLifecycleDefaults fills lifecycle.keep and the AWS family pointer's defaults.
func (c *Config) setLifecycleDefaults() {
	if c.Lifecycle != nil && !c.has("lifecycle.keep") {
		c.Lifecycle.Keep = DefaultKeep
	}
	if c.Registry.Type == "aws" {
		def(&c.Registry.FamilyPointer, PointerTag)
		if c.Registry.FamilyPointer == PointerSSM {
			def(&c.Registry.SSMParameter, "/kiln/families/"+c.Image.Family)
		}
	}
}

// validateLifecycle checks the policy: ages positive and in order, each needing the one
// before.
func (c *Config) validateLifecycle() error {
	l := c.Lifecycle
	if l == nil {
		return nil
	}
	if l.Keep < 0 {
		return c.errorf("lifecycle.keep", "lifecycle.keep: %d must not be negative", l.Keep)
	}
	ages := []struct {
		key string
		d   time.Duration
	}{{"deprecate_after", l.DeprecateAfter.Duration}, {"obsolete_after", l.ObsoleteAfter.Duration}, {"delete_after", l.DeleteAfter.Duration}}
	for i, a := range ages {
		p := "lifecycle." + a.key
		if a.d == 0 {
			if c.has(p) {
				return c.errorf(p, "%s: must be longer than 0 (leave it out to never move images on)", p)
			}
			continue
		}
		if a.d < 0 {
			return c.errorf(p, "%s: must not be negative", p)
		}
		if i == 0 {
			continue
		}
		before := ages[i-1]
		if before.d == 0 {
			return c.errorf(p, "%s: needs lifecycle.%s: images go through each state in turn", p, before.key)
		}
		if a.d <= before.d {
			return c.errorf(p, "%s: %s must be later than %s (%s)", p, ageString(a.d), before.key, ageString(before.d))
		}
	}
	return nil
}

// validateRegistryPointer checks the AWS family pointer keys.
func (c *Config) validateRegistryPointer() error {
	r := c.Registry
	if r.FamilyPointer != "" && r.Type != "aws" {
		return c.errorf("registry.family_pointer", "registry.family_pointer: only used with type aws, not %s", r.Type)
	}
	switch r.FamilyPointer {
	case "", PointerTag, PointerSSM:
	default:
		return c.errorf("registry.family_pointer", "registry.family_pointer: %q is not one of tag, ssm", r.FamilyPointer)
	}
	if r.SSMParameter == "" {
		return nil
	}
	if r.FamilyPointer != PointerSSM {
		return c.errorf("registry.ssm_parameter", "registry.ssm_parameter: only used with family_pointer ssm")
	}
	low := strings.ToLower(strings.TrimPrefix(r.SSMParameter, "/"))
	if !ssmParameterRE.MatchString(r.SSMParameter) || len(r.SSMParameter) > 1011 || strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return c.errorf("registry.ssm_parameter", "registry.ssm_parameter: %q is not an SSM parameter name such as \"/kiln/families/web\"", r.SSMParameter)
	}
	return nil
}

// validateImageBase checks image.base: one line, and base_image is then kiln's variable.
func (c *Config) validateImageBase() error {
	b := c.Image.Base
	if strings.ContainsAny(b, "\r\n") || len(b) > 1024 {
		return c.errorf("image.base", "image.base: must be one line of at most 1024 characters")
	}
	if _, ok := c.Packer.Vars["base_image"]; ok && b != "" {
		return c.errorf("packer.vars.base_image", "packer.vars: %q is set by kiln itself from image.base", "base_image")
	}
	return nil
}

func ageString(d time.Duration) string {
	b, _ := Age{d}.MarshalText()
	return string(b)
}

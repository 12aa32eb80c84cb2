package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"
)

// Change is one difference a plan shows: a resource (or output) to create, delete or
// replace, or one top-level attribute of a resource to update. Before and After are the
// values as JSON text, "(known after apply)" for a value Terraform knows only after apply,
// and "(sensitive)" for a value the plan marks sensitive before or after, which is never
// shown. Outside marks a change made outside Terraform that the refresh found (the plan's
// resource_drift).
type Change struct {
	Address   string `json:"address"`
	Action    string `json:"action"` // create, update, replace, delete
	Attribute string `json:"attribute,omitempty"`
	Before    string `json:"before,omitempty"`
	After     string `json:"after,omitempty"`
	Outside   bool   `json:"outside"`
}

// The stand-ins for values a Change does not show.
const (
	UnknownValue   = "(known after apply)"
	SensitiveValue = "(sensitive)"
)

// maxValue is the longest value a Change shows, in bytes, before it is cut with "...".
const maxValue = 200

// String is the change as one line: `aws_launch_template.web: update: image_id "ami-1" ->
// "ami-2"`, `terraform_data.vm: replace`, `output.address: update: "a" -> "b"`.
func (c Change) String() string {
	s := c.Address + ": " + c.Action
	switch {
	case c.Attribute != "":
		s += ": " + c.Attribute + " " + c.Before + " -> " + c.After
	case c.Before != "" || c.After != "":
		s += ": " + c.Before + " -> " + c.After
	}
	if c.Outside {
		s += " (changed outside Terraform)"
	}
	return s
}

// ShowPlan reads a saved plan file (terraform show -json).
func (t *TF) ShowPlan(ctx context.Context, plan string) (*tfjson.Plan, error) {
	t.quiet()
	var p *tfjson.Plan
	err := t.call(ctx, "show", func(ctx context.Context) (err error) {
		p, err = t.tf.ShowPlanFile(ctx, plan)
		return err
	})
	return p, err
}

// PlanChanges lists every change of a plan that is not a no-op: first what the refresh
// found changed outside Terraform (resource_drift), then the resource changes, then the
// output changes by name. Reads of data sources are not changes. An update or a drift
// gives one Change per changed top-level attribute, a replacement one per attribute that
// forces it (or one bare Change when the plan names none), a create or delete one bare
// Change; an output's update carries its values.
func PlanChanges(p *tfjson.Plan) []Change {
	if p == nil {
		return nil
	}
	var out []Change
	for _, rc := range p.ResourceDrift {
		out = append(out, resourceChanges(rc, true)...)
	}
	for _, rc := range p.ResourceChanges {
		out = append(out, resourceChanges(rc, false)...)
	}
	names := make([]string, 0, len(p.OutputChanges))
	for n := range p.OutputChanges {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ch := p.OutputChanges[n]
		if ch == nil || changeAction(ch.Actions) == "" {
			continue
		}
		c := Change{Address: "output." + n, Action: changeAction(ch.Actions)}
		if c.Action == "update" {
			secret := anyTrue(ch.BeforeSensitive) || anyTrue(ch.AfterSensitive)
			c.Before = showValue(ch.Before, secret, false)
			c.After = showValue(ch.After, secret, anyTrue(ch.AfterUnknown))
		}
		out = append(out, c)
	}
	return out
}

func resourceChanges(rc *tfjson.ResourceChange, outside bool) []Change {
	if rc == nil || rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
		return nil
	}
	ch := rc.Change
	act := changeAction(ch.Actions)
	if act == "" {
		return nil
	}
	var attrs []string
	switch act {
	case "update":
		attrs = changedAttributes(ch)
	case "replace":
		attrs = replaceAttributes(ch.ReplacePaths)
	}
	if len(attrs) == 0 {
		return []Change{{Address: rc.Address, Action: act, Outside: outside}}
	}
	before, _ := ch.Before.(map[string]any)
	after, _ := ch.After.(map[string]any)
	out := make([]Change, 0, len(attrs))
	for _, a := range attrs {
		// A value sensitive on either side is hidden on both: a value that has just become
		// sensitive is no less secret before.
		secret := marks(ch.BeforeSensitive, a) || marks(ch.AfterSensitive, a)
		out = append(out, Change{Address: rc.Address, Action: act, Attribute: a, Outside: outside,
			Before: showValue(before[a], secret, false),
			After:  showValue(after[a], secret, marks(ch.AfterUnknown, a))})
	}
	return out
}

// changeAction names a change's actions; "" for a no-op, a read, or what kiln does not know.
func changeAction(a tfjson.Actions) string {
	switch {
	case a.Replace():
		return "replace"
	case a.Create():
		return "create"
	case a.Update():
		return "update"
	case a.Delete():
		return "delete"
	}
	return ""
}

// changedAttributes lists, sorted, the top-level attributes whose value differs between
// before and after, or that are unknown until apply.
func changedAttributes(ch *tfjson.Change) []string {
	before, _ := ch.Before.(map[string]any)
	after, _ := ch.After.(map[string]any)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	if m, ok := ch.AfterUnknown.(map[string]any); ok {
		for k := range m {
			keys[k] = true
		}
	}
	var out []string
	for k := range keys {
		if marks(ch.AfterUnknown, k) || !reflect.DeepEqual(before[k], after[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// replaceAttributes lists the top-level attributes named by a plan's replace_paths.
func replaceAttributes(paths []any) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		steps, _ := p.([]any)
		if len(steps) == 0 {
			continue
		}
		if a, ok := steps[0].(string); ok && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// marks reports whether a deep object of booleans (after_unknown, before_sensitive,
// after_sensitive) marks attribute key, or anything inside it; true for the whole object
// marks every attribute.
func marks(flags any, key string) bool {
	switch f := flags.(type) {
	case bool:
		return f
	case map[string]any:
		return anyTrue(f[key])
	}
	return false
}

// anyTrue reports whether a deep object of booleans holds true anywhere.
func anyTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		for _, e := range x {
			if anyTrue(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if anyTrue(e) {
				return true
			}
		}
	}
	return false
}

// showValue is a value as a Change shows it: JSON, cut at maxValue bytes, or the stand-in
// for a sensitive or unknown one. Sensitivity wins: nothing of a sensitive value is shown.
func showValue(v any, sensitive, unknown bool) string {
	switch {
	case sensitive:
		return SensitiveValue
	case unknown:
		return UnknownValue
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(bytes.TrimSpace(b.Bytes()))
	if len(s) > maxValue {
		i := maxValue
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "..."
	}
	return s
}

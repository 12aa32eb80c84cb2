package terraform

import (
	"reflect"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

func TestDriftPlanChanges(t *testing.T) {
	managed := func(addr string, ch *tfjson.Change) *tfjson.ResourceChange {
		return &tfjson.ResourceChange{Address: addr, Mode: tfjson.ManagedResourceMode, Change: ch}
	}
	acts := func(a ...tfjson.Action) tfjson.Actions { return a }
	tests := []struct {
		name string
		plan *tfjson.Plan
		want []string
	}{
		{"nil plan", nil, nil},
		{"no-ops and reads are no changes", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed("terraform_data.vm", &tfjson.Change{Actions: acts(tfjson.ActionNoop)}),
			{Address: "data.http.x", Mode: tfjson.DataResourceMode, Change: &tfjson.Change{Actions: acts(tfjson.ActionRead)}},
			managed("terraform_data.nil", nil), nil,
		}, OutputChanges: map[string]*tfjson.Change{"address": {Actions: acts(tfjson.ActionNoop)}}}, nil},
		{"update: one line per changed attribute, sensitive values never shown", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed("aws_launch_template.web", &tfjson.Change{Actions: acts(tfjson.ActionUpdate),
				Before:          map[string]any{"image_id": "ami-1", "name": "web", "user_data": "secret-1", "tags": map[string]any{"a": "1"}},
				After:           map[string]any{"image_id": "ami-2", "name": "web", "user_data": "secret-2", "tags": map[string]any{"a": "1", "b": "<2>"}},
				BeforeSensitive: map[string]any{"user_data": true},
				AfterSensitive:  map[string]any{"user_data": true}}),
		}}, []string{
			`aws_launch_template.web: update: image_id "ami-1" -> "ami-2"`,
			`aws_launch_template.web: update: tags {"a":"1"} -> {"a":"1","b":"<2>"}`,
			`aws_launch_template.web: update: user_data (sensitive) -> (sensitive)`,
		}},
		{"update: an attribute partly sensitive after is hidden before too", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed("x.y", &tfjson.Change{Actions: acts(tfjson.ActionUpdate),
				Before:         map[string]any{"env": map[string]any{"user": "a", "pass": "p1"}},
				After:          map[string]any{"env": map[string]any{"user": "a", "pass": "p2"}},
				AfterSensitive: map[string]any{"env": map[string]any{"pass": true}}}),
		}}, []string{`x.y: update: env (sensitive) -> (sensitive)`}},
		{"update: known after apply", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed("terraform_data.vm", &tfjson.Change{Actions: acts(tfjson.ActionUpdate),
				Before:       map[string]any{"id": "1", "input": "local:sha256:zzz", "output": "local:sha256:zzz"},
				After:        map[string]any{"id": "1", "input": "local:sha256:aaa"},
				AfterUnknown: map[string]any{"output": true}}),
		}}, []string{
			`terraform_data.vm: update: input "local:sha256:zzz" -> "local:sha256:aaa"`,
			`terraform_data.vm: update: output "local:sha256:zzz" -> (known after apply)`,
		}},
		{"replace, with and without the attributes that force it", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed("terraform_data.vm", &tfjson.Change{Actions: acts(tfjson.ActionDelete, tfjson.ActionCreate),
				Before: map[string]any{"id": "1"}, After: map[string]any{}, AfterUnknown: map[string]any{"id": true}}),
			managed("aws_instance.web", &tfjson.Change{Actions: acts(tfjson.ActionCreate, tfjson.ActionDelete),
				Before: map[string]any{"ami": "ami-1", "id": "i-1"}, After: map[string]any{"ami": "ami-2"},
				AfterUnknown: true, ReplacePaths: []any{[]any{"ami"}, []any{"ami"}, []any{}}}),
		}}, []string{
			`terraform_data.vm: replace`,
			`aws_instance.web: replace: ami "ami-1" -> (known after apply)`,
		}},
		{"create and delete", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			managed(`terraform_data.vm["b"]`, &tfjson.Change{Actions: acts(tfjson.ActionCreate), After: map[string]any{"input": "b"}}),
			managed(`terraform_data.vm["a"]`, &tfjson.Change{Actions: acts(tfjson.ActionDelete), Before: map[string]any{"input": "a"}}),
		}}, []string{`terraform_data.vm["b"]: create`, `terraform_data.vm["a"]: delete`}},
		{"drift first, then changes, then outputs by name", &tfjson.Plan{
			ResourceDrift: []*tfjson.ResourceChange{
				managed("aws_instance.web", &tfjson.Change{Actions: acts(tfjson.ActionUpdate),
					Before: map[string]any{"instance_type": "t3.micro"}, After: map[string]any{"instance_type": "t3.large"}}),
				managed("aws_instance.gone", &tfjson.Change{Actions: acts(tfjson.ActionDelete), Before: map[string]any{"id": "i-2"}}),
			},
			ResourceChanges: []*tfjson.ResourceChange{
				managed("aws_instance.web", &tfjson.Change{Actions: acts(tfjson.ActionUpdate),
					Before: map[string]any{"instance_type": "t3.large"}, After: map[string]any{"instance_type": "t3.micro"}}),
			},
			OutputChanges: map[string]*tfjson.Change{
				"token":    {Actions: acts(tfjson.ActionUpdate), Before: "t1", After: "t2", BeforeSensitive: true, AfterSensitive: true},
				"address":  {Actions: acts(tfjson.ActionUpdate), Before: "127.0.0.1:1", After: "127.0.0.1:2"},
				"image_id": {Actions: acts(tfjson.ActionUpdate), Before: "local:sha256:aaa", AfterUnknown: true},
				"new":      {Actions: acts(tfjson.ActionCreate), After: "x"},
			}}, []string{
			`aws_instance.web: update: instance_type "t3.micro" -> "t3.large" (changed outside Terraform)`,
			`aws_instance.gone: delete (changed outside Terraform)`,
			`aws_instance.web: update: instance_type "t3.large" -> "t3.micro"`,
			`output.address: update: "127.0.0.1:1" -> "127.0.0.1:2"`,
			`output.image_id: update: "local:sha256:aaa" -> (known after apply)`,
			`output.new: create`,
			`output.token: update: (sensitive) -> (sensitive)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range PlanChanges(tt.plan) {
				got = append(got, c.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("PlanChanges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDriftChangeFields: the fields of a Change, as kiln-drift's JSON report carries them.
func TestDriftChangeFields(t *testing.T) {
	p := &tfjson.Plan{ResourceDrift: []*tfjson.ResourceChange{{Address: "a.b", Mode: tfjson.ManagedResourceMode,
		Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionUpdate}, Before: map[string]any{"k": 1.0}, After: map[string]any{"k": nil}}}}}
	got := PlanChanges(p)
	want := []Change{{Address: "a.b", Action: "update", Attribute: "k", Before: "1", After: "null", Outside: true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestDriftShowCutsLongValues(t *testing.T) {
	s := showValue(strings.Repeat("é", 300), false, false)
	if len(s) > maxValue+3 || !strings.HasSuffix(s, "...") || !strings.HasPrefix(s, `"éé`) {
		t.Fatalf("show: %q", s)
	}
	if strings.ContainsRune(s, '\uFFFD') {
		t.Fatalf("show cut a character in two: %q", s)
	}
}

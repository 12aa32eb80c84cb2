package terraform

import (
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

func TestCountChanges(t *testing.T) {
	change := func(actions ...tfjson.Action) *tfjson.ResourceChange {
		return &tfjson.ResourceChange{Change: &tfjson.Change{Actions: actions}}
	}
	p := &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
		change(tfjson.ActionCreate),
		change(tfjson.ActionCreate),
		change(tfjson.ActionUpdate),
		change(tfjson.ActionDelete),
		change(tfjson.ActionDelete, tfjson.ActionCreate), // replace, destroy first
		change(tfjson.ActionCreate, tfjson.ActionDelete), // replace, create first
		change(tfjson.ActionNoop),
		change(tfjson.ActionRead),
		nil,
	}}
	got := countChanges(p)
	want := Report{Create: 4, Update: 1, Delete: 3}
	if got != want {
		t.Fatalf("countChanges = %+v, want %+v", got, want)
	}
	if got := countChanges(nil); got != (Report{}) {
		t.Fatalf("countChanges(nil) = %+v", got)
	}
}

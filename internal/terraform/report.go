package terraform

import (
	"context"

	tfjson "github.com/hashicorp/terraform-json"
)

// Report counts a plan's resource changes in the shape of GitLab's
// artifacts:reports:terraform ({"create":N,"update":N,"delete":N}); a replacement counts as
// one create and one delete, reads and no-ops not at all.
type Report struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
}

// PlanReport reads a saved plan file with terraform show -json and counts its changes.
func (t *TF) PlanReport(ctx context.Context, plan string) (Report, error) {
	t.quiet()
	var p *tfjson.Plan
	err := t.call(ctx, "show", func(ctx context.Context) error {
		var err error
		p, err = t.tf.ShowPlanFile(ctx, plan)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return countChanges(p), nil
}

func countChanges(p *tfjson.Plan) Report {
	var r Report
	if p == nil {
		return r
	}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Replace():
			r.Create++
			r.Delete++
		case a.Create():
			r.Create++
		case a.Update():
			r.Update++
		case a.Delete():
			r.Delete++
		}
	}
	return r
}

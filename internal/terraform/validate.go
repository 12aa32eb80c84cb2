package terraform

import (
	"context"
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"
)

// FmtCheck runs terraform fmt -check and returns the files that need formatting.
func (t *TF) FmtCheck(ctx context.Context) ([]string, error) {
	t.quiet()
	var ok bool
	var files []string
	err := t.detached(ctx, func(ctx context.Context) (err error) {
		ok, files, err = t.tf.FormatCheck(ctx)
		return err
	})
	if err != nil && !ok && len(files) > 0 && ctx.Err() == nil {
		return files, nil
	}
	return files, t.check(ctx, "fmt -check", err)
}

// Validate runs terraform validate (after Init without a backend) and returns each error
// diagnostic as "file:line: summary".
func (t *TF) Validate(ctx context.Context) ([]string, error) {
	t.quiet()
	var out *tfjson.ValidateOutput
	err := t.call(ctx, "validate", func(ctx context.Context) (err error) {
		out, err = t.tf.Validate(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, d := range out.Diagnostics {
		if d.Severity != "error" {
			continue
		}
		where := ""
		if d.Range != nil {
			where = fmt.Sprintf("%s:%d: ", d.Range.Filename, d.Range.Start.Line)
		}
		problems = append(problems, where+d.Summary)
	}
	return problems, nil
}

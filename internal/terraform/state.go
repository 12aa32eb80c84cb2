package terraform

import "context"

// StatePull returns the workspace's raw state (terraform state pull): JSON in Terraform's
// state format, read without provider schemas; empty when the workspace has no state.
func (t *TF) StatePull(ctx context.Context) ([]byte, error) {
	t.quiet()
	out, err := t.tf.StatePull(ctx)
	if err != nil {
		return nil, t.wrap("state pull", err)
	}
	return []byte(out), nil
}

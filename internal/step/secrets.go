package step

import "context"

// openSecrets fetches the step's secrets from Vault, when kiln.yaml has a vault block, and
// returns the function that revokes them.
func openSecrets(ctx context.Context, r *Run, stepName string) (func(), error) {
	return func() {}, nil
}

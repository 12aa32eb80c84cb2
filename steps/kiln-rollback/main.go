// Command kiln-rollback is kiln's rollback step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rollback"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, rollback.Step{})
	stop()
	os.Exit(code)
}

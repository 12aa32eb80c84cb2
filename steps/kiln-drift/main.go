// Command kiln-drift is kiln's drift step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/drift"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, drift.Step{})
	stop()
	os.Exit(code)
}

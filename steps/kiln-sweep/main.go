// Command kiln-sweep is kiln's sweep step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/sweep"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, sweep.Step{})
	stop()
	os.Exit(code)
}

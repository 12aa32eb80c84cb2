// Command kiln-destroy-dev is kiln's destroy-dev step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/destroy"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, destroy.Step{})
	stop()
	os.Exit(code)
}

// Command kiln-bake is kiln's bake step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/bake"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, bake.Step{})
	stop()
	os.Exit(code)
}

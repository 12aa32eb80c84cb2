// Command kiln-rotate is kiln's rotate step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rotate"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, rotate.Step{})
	stop()
	os.Exit(code)
}

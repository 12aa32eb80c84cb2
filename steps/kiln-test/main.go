// Command kiln-test is kiln's test step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/check"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, check.Step{})
	stop()
	os.Exit(code)
}

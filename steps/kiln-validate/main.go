// Command kiln-validate is kiln's validate step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/validate"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, validate.Step{})
	stop()
	os.Exit(code)
}

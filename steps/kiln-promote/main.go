// Command kiln-promote is kiln's promote step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/promote"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, promote.Step{})
	stop()
	os.Exit(code)
}

// Command kiln-revoke is kiln's revoke step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/revoke"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, revoke.Step{})
	stop()
	os.Exit(code)
}

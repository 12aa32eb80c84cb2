// Command kiln-deploy-dev is kiln's deploy-dev step; see --help.
package main

import (
	"context"
	"os"

	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/deploy"
)

func main() {
	ctx, stop := step.NotifyContext(context.Background())
	code := step.Main(ctx, deploy.Step{})
	stop()
	os.Exit(code)
}

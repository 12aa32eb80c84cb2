package terraform

import (
	"context"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// missingProvider finds "provider registry.terraform.io/hashicorp/aws was not found" in
// init's error output (Terraform wraps its lines, so spaces are normalised first).
var missingProvider = regexp.MustCompile(`provider ([A-Za-z0-9._-]+/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+) was not found`)

// InitPlugins runs terraform init without the backend, taking providers only from dirs
// (-plugin-dir: the network is never used). It returns the providers found in none of them;
// an init that fails for another reason is an error.
func (t *TF) InitPlugins(ctx context.Context, dirs []string) (missing []string, err error) {
	t.show()
	opts := []tfexec.InitOption{tfexec.Reconfigure(true), tfexec.Backend(false)}
	for _, d := range dirs {
		opts = append(opts, tfexec.PluginDir(d))
	}
	err = t.tf.Init(ctx, opts...)
	if err == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, m := range missingProvider.FindAllStringSubmatch(strings.Join(strings.Fields(err.Error()), " "), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			missing = append(missing, m[1])
		}
	}
	if len(missing) > 0 {
		return missing, nil
	}
	return nil, t.wrap("init", err)
}

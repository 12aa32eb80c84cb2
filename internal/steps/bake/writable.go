package bake

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/step"
)

// writable finds, before anything is built, a record, kiln.env or local registry kiln could
// not write once the build is done (a read-only checkout, a registry path of another user):
// exit 2 naming the path, instead of a lost build.
func writable(r *step.Run) error {
	paths := map[string]string{
		"--record":   filepath.Dir(r.RecordPath()),
		"--env-file": filepath.Dir(r.Path(r.Opts.Get("env-file"))),
	}
	if r.Config.Registry.Type == "local" {
		reg, err := local.Open(r.Config, r.Lookup, r.Env.Dir, r.Env.Now)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(reg.Dir, 0o755); err != nil {
			return exitcode.New(exitcode.Usage, "the local registry %s cannot be created: %v (registry.path, KILN_REGISTRY_PATH)", reg.Dir, err)
		}
		paths["the local registry"] = reg.Dir
	}
	for what, dir := range paths {
		f, err := os.CreateTemp(dir, ".kiln-write-check-*")
		if err != nil {
			return exitcode.New(exitcode.Usage, "%s: cannot write in %s: %v; nothing was built", what, dir, trimPath(err))
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// trimPath keeps an *os.PathError's cause only: the directory is already in the message.
func trimPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return fmt.Errorf("%w", err)
}

// Command registry is the CNCF Distribution registry (v3), an OCI registry server, built from
// the Go module proxy so that kiln's tests can push VM images to a real registry on
// 127.0.0.1 (see scripts/tools.sh registry and internal/registry/oci/ocitest). It is a
// separate module: kiln's own binaries depend only on the oras-go client. Only the
// filesystem and in-memory storage drivers and htpasswd authentication are linked in.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}

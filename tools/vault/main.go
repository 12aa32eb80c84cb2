// Command vault is the Vault 1.13 server and CLI, built from the Go module proxy so that
// kiln's integration tests can start a real dev server (see scripts/tools.sh vault). It is a
// separate module: kiln's own binaries depend only on the Vault client.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}

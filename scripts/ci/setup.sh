#!/usr/bin/env bash
# CI stage setup: makes the kiln binaries available to the other stage scripts. With
# KILN_BIN_DIR set (binaries baked into the agent) it only checks them; otherwise it installs
# kiln KILN_VERSION with go install into .kiln/bin, where lib.sh finds them.
set -euo pipefail
steps="validate bake deploy-dev test promote destroy-dev rotate rollback sweep revoke drift"
if [ -n "${KILN_BIN_DIR:-}" ]; then
  for s in $steps; do
    [ -x "$KILN_BIN_DIR/kiln-$s" ] || { echo "kiln: $KILN_BIN_DIR/kiln-$s is missing" >&2; exit 2; }
  done
  "$KILN_BIN_DIR/kiln-validate" --version
  exit 0
fi
: "${KILN_VERSION:?set KILN_VERSION (a kiln release such as v0.1.0) or KILN_BIN_DIR}"
export GOBIN="$PWD/.kiln/bin"
for s in $steps; do
  go install "github.com/kiln-ci/kiln/steps/kiln-$s@$KILN_VERSION"
done
"$GOBIN/kiln-validate" --version

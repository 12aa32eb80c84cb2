#!/usr/bin/env bash
# CI stage promote: promotes the record (KILN_RECORD, default kiln-image.json) to
# KILN_PROD_ENVIRONMENT (default prod), after checking that the record was baked from the
# commit this build merged: HEAD's second parent for a merge commit, else HEAD (a
# fast-forward). A record of any other commit is refused with exit 8, as kiln refuses one
# whose tests did not pass.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

env_file=${KILN_ENV_FILE:-kiln.env}
if [ ! -f "$env_file" ]; then
  echo "kiln: promote: $env_file is missing: copy the tested build's kiln-image.json and kiln.env first" >&2
  exit 6
fi
recorded=$(sed -n 's/^KILN_SOURCE_SHA=//p' "$env_file")
merged=$(git rev-parse --verify --quiet 'HEAD^2' || git rev-parse HEAD)
if [ "$recorded" != "$merged" ]; then
  echo "kiln: promote refused: the record was baked from ${recorded:-an unknown commit}, this build merged $merged" >&2
  exit 8
fi
kiln_exec promote --source file --environment "${KILN_PROD_ENVIRONMENT:-prod}" "$@"

#!/usr/bin/env bash
# CI stage bake: runs kiln-bake (Jenkinsfile stage 'bake'; test/ci runs this very script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec bake "$@"

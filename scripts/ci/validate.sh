#!/usr/bin/env bash
# CI stage validate: runs kiln-validate (Jenkinsfile stage 'validate'; test/ci runs this very script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec validate "$@"

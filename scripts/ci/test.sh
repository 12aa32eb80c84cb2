#!/usr/bin/env bash
# CI stage test: runs kiln-test (Jenkinsfile stage 'test'; test/ci runs this very script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec test "$@"

#!/usr/bin/env bash
# CI stage deploy-dev: deploys the record's image to KILN_DEV_ENVIRONMENT (default dev).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec deploy-dev --environment "${KILN_DEV_ENVIRONMENT:-dev}" "$@"

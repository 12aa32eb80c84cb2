#!/usr/bin/env bash
# CI stage destroy-dev: destroys KILN_DEV_ENVIRONMENT (default dev); nothing to destroy is
# success, so it can run after every build, failed or not.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec destroy-dev --environment "${KILN_DEV_ENVIRONMENT:-dev}" "$@"

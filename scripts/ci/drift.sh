#!/usr/bin/env bash
# Scheduled stage drift: runs kiln-drift (the Jenkins drift snippet of docs/lifecycle.md;
# test/ci runs this very script). Exit 9 when an environment drifted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kiln_exec drift "$@"

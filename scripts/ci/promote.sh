#!/usr/bin/env bash
# CI stage promote: kiln-promote of the record (KILN_RECORD, default kiln-image.json) to
# KILN_PROD_ENVIRONMENT (default prod). kiln-promote itself checks the record: its digest,
# the promotion gate, and, in a CI job, that it was baked from the commit this build built or
# merged (a merge commit's second parent); on promote.to it also needs the signed attestation
# of kiln.yaml's attest block. Its exit code (8: refused) is the stage's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kiln_exec promote --source file --environment "${KILN_PROD_ENVIRONMENT:-prod}" "$@"

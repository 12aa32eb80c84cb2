#!/usr/bin/env bash
# Finds the successful push run on the main branch, of the calling workflow, that tested a
# commit, and writes its id as the step output run-id; kiln's reusable GitHub workflow then
# downloads that run's kiln-record artifact for plan-prod and promote.
#   KILN_TESTED_SHA    the commit (default: the second parent of HEAD for a merge commit, else
#                      HEAD, i.e. a fast-forward; a squash merge has no tested run: exit 8)
#   KILN_MAIN_BRANCH   the branch that bakes and tests (promote.from)
#   KILN_WORKFLOW_REF  github.workflow_ref: owner/repo/.github/workflows/file.yml@ref
#   GITHUB_REPOSITORY, GH_TOKEN, GITHUB_OUTPUT   as GitHub Actions sets them
set -euo pipefail

sha=${KILN_TESTED_SHA:-}
if [ -z "$sha" ]; then
  if second=$(git rev-parse --verify --quiet HEAD^2); then
    sha=$second
  else
    sha=$(git rev-parse HEAD)
  fi
fi
path=${KILN_WORKFLOW_REF#"$GITHUB_REPOSITORY"/}
path=${path%%@*}

run=$(gh api "repos/$GITHUB_REPOSITORY/actions/runs?head_sha=$sha&branch=$KILN_MAIN_BRANCH&event=push&status=success" \
  --jq "[.workflow_runs[] | select(.path == \"$path\")] | sort_by(.run_number) | last | .id // empty")
if [ -z "$run" ]; then
  echo "::error::kiln: no successful $KILN_MAIN_BRANCH run of $path tested commit $sha (squash merges cannot be traced back; merge or fast-forward)"
  exit 8
fi
echo "kiln: commit $sha was tested by run $run"
echo "run-id=$run" >>"$GITHUB_OUTPUT"

#!/usr/bin/env bash
# Installs what the CI-integration tests (test/ci) need, and skips whatever is already there:
#   rsync            (Debian package; gitlab-ci-local copies each job's files with it)
#   gitlab-ci-local  (npm, the exact version package-lock.json pins, into ./node_modules)
#   actionlint       (built from the Go module proxy into .tools/bin)
# Usage: scripts/ci-tools.sh [rsync] [gitlab-ci-local] [actionlint]   (default: all three)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

ACTIONLINT_VERSION=1.7.12
GITLAB_CI_LOCAL_VERSION=4.64.1 # must match package.json; 4.65+ needs Node 22

install_rsync() {
  # shellcheck too: actionlint checks run: scripts with it when it is there, so it must be
  # there everywhere for the same verdict.
  command -v rsync >/dev/null 2>&1 && command -v shellcheck >/dev/null 2>&1 && return 0
  echo "ci-tools: installing rsync and shellcheck (apt)" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends rsync shellcheck >/dev/null
}

install_gitlab_ci_local() {
  local have
  have=$("$root/node_modules/.bin/gitlab-ci-local" --version 2>/dev/null || true)
  [ "$have" = "$GITLAB_CI_LOCAL_VERSION" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "ci-tools: npm is missing (apt-get install nodejs npm)" >&2; return 1; }
  echo "ci-tools: npm ci (gitlab-ci-local $GITLAB_CI_LOCAL_VERSION)" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
}

install_actionlint() {
  [ -x "$bin/actionlint" ] && [ "$(cat "$bin/.actionlint.version" 2>/dev/null)" = "$ACTIONLINT_VERSION" ] && return 0
  echo "ci-tools: building actionlint $ACTIONLINT_VERSION" >&2
  GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
  echo "$ACTIONLINT_VERSION" >"$bin/.actionlint.version"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rsync gitlab-ci-local actionlint)
for t in "${targets[@]}"; do
  "install_${t//-/_}"
done

#!/usr/bin/env bash
# Installs what the CI-integration tests (test/ci) need, and skips whatever is already there:
#   rsync            (Debian packages rsync, shellcheck, python3; gitlab-ci-local copies each
#                     job's files with rsync)
#   gitlab-ci-local  (npm, the exact version package-lock.json pins, into ./node_modules)
#   actionlint       (built from the Go module proxy into .tools/bin)
#   act              (nektos/act, a GitHub-compatible runner, built from the Go module proxy
#                     into .tools/bin; test/ci runs the workflows with it on the host)
#   haproxy          (Debian package; the load balancer of test/integration's strategy tests)
# Usage: scripts/ci-tools.sh [rsync] [gitlab-ci-local] [actionlint] [act] [haproxy]   (default: all)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

ACTIONLINT_VERSION=1.7.12
ACT_VERSION=0.2.82
GITLAB_CI_LOCAL_VERSION=4.64.1 # must match package.json; 4.65+ needs Node 22

install_rsync() {
  # Also shellcheck: actionlint checks run: scripts with it when it is there, so it must be
  # there everywhere for the same verdict. And python3: the self-test workflow (run by act)
  # serves its stand-in services with python3 -m http.server.
  command -v rsync >/dev/null 2>&1 && command -v shellcheck >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 && return 0
  echo "ci-tools: installing rsync, shellcheck and python3 (apt)" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends rsync shellcheck python3 >/dev/null
}

install_haproxy() {
  # HAProxy 2.6 (Debian's package): the load balancer of the blue-green and canary tests
  # (test/integration/strategy_test.go), started by the tests themselves on 127.0.0.1.
  command -v haproxy >/dev/null 2>&1 && return 0
  [ -x /usr/sbin/haproxy ] && return 0
  echo "ci-tools: installing haproxy (apt)" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends haproxy >/dev/null
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

install_act() {
  [ -x "$bin/act" ] && [ "$(cat "$bin/.act.version" 2>/dev/null)" = "$ACT_VERSION" ] && return 0
  echo "ci-tools: building act $ACT_VERSION" >&2
  # act's go.mod needs -mod=mod to resolve from the proxy; build it from a scratch directory so
  # that kiln's own go.mod is neither read nor touched.
  local scratch
  scratch=$(mktemp -d)
  (cd "$scratch" && GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/nektos/act@v$ACT_VERSION")
  rm -rf "$scratch"
  echo "$ACT_VERSION" >"$bin/.act.version"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rsync gitlab-ci-local actionlint act haproxy)
for t in "${targets[@]}"; do
  "install_${t//-/_}"
done

#!/usr/bin/env bash
# Builds the pinned HashiCorp tools kiln's tests and demo use into .tools/bin, from the Go
# module proxy, and skips any tool whose pinned version is already there.
#   scripts/tools.sh [terraform] [packer] [vault] [goss] [registry]   (default: terraform packer)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

TERRAFORM_VERSION=1.5.7
PACKER_VERSION=1.9.4
GOSS_VERSION=0.4.10

have() { # have NAME VERSION: the binary exists and reports VERSION
  [ -x "$bin/$1" ] && [ -f "$bin/.$1.version" ] && [ "$(cat "$bin/.$1.version")" = "$2" ]
}

build_terraform() {
  have terraform "$TERRAFORM_VERSION" && return 0
  echo "tools: building terraform $TERRAFORM_VERSION" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
  echo "$TERRAFORM_VERSION" >"$bin/.terraform.version"
}

build_packer() {
  have packer "$PACKER_VERSION" && return 0
  echo "tools: building packer $PACKER_VERSION" >&2
  # `go install packer@v` is refused by the proxy (no version list); build the downloaded module.
  dir=$(go mod download -json "github.com/hashicorp/packer@v$PACKER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "tools: packer module not downloaded" >&2; return 1; }
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$bin/packer" .)
  echo "$PACKER_VERSION" >"$bin/.packer.version"
}

build_vault() {
  local v
  v=$(sed -n 's/^[[:space:]]*github.com\/hashicorp\/vault v\(.*\)$/\1/p' "$root/tools/vault/go.mod")
  have vault "$v" && return 0
  echo "tools: building vault $v (dev server for tests)" >&2
  (cd "$root/tools/vault" && GOFLAGS=-mod=mod GONOSUMDB='github.com/hashicorp/vault-plugin-*' \
    go build -o "$bin/vault" .)
  echo "$v" >"$bin/.vault.version"
}

build_registry() {
  local v
  v=$(sed -n 's/^require github.com\/distribution\/distribution\/v3 v\(.*\)$/\1/p' "$root/tools/registry/go.mod")
  [ -n "$v" ] || { echo "tools: no distribution version in tools/registry/go.mod" >&2; return 1; }
  have registry "$v" && return 0
  echo "tools: building registry $v (an OCI registry server for tests)" >&2
  (cd "$root/tools/registry" && GOFLAGS=-mod=mod go build -o "$bin/registry" .)
  echo "$v" >"$bin/.registry.version"
}

build_goss() {
  have goss "$GOSS_VERSION" && return 0
  echo "tools: building goss $GOSS_VERSION (linux/amd64, static; kiln-test copies it to the VM)" >&2
  dir=$(go mod download -json "github.com/goss-org/goss@v$GOSS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "tools: goss module not downloaded" >&2; return 1; }
  (cd "$dir" && GOOS=linux GOARCH=amd64 CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-s -w -X github.com/goss-org/goss/util.Version=v$GOSS_VERSION" \
    -o "$bin/goss" ./cmd/goss)
  echo "$GOSS_VERSION" >"$bin/.goss.version"
}

# timed NAME: builds one tool and prints how long it took (nothing when it was cached).
timed() {
  local start=$SECONDS
  "build_$1" || { echo "tools: building $1 failed" >&2; return 1; }
  [ $((SECONDS - start)) -lt 1 ] || echo "tools: $1 ready in $((SECONDS - start))s" >&2
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(terraform packer)
# The builds are independent: run them side by side (their downloads overlap, and the Go
# build cache is safe to share), and fail if any failed.
start=$SECONDS
pids=()
for t in "${targets[@]}"; do
  timed "$t" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
  wait "$p" || failed=1
done
[ $failed = 0 ] || exit 1
[ $((SECONDS - start)) -lt 1 ] || echo "tools: ${targets[*]} ready in $((SECONDS - start))s" >&2

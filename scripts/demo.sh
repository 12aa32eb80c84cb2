#!/usr/bin/env bash
# make demo: kiln's whole pipeline on this machine with real VMs. Installs QEMU and
# debootstrap if missing, builds the tools and kiln, builds the Debian base image (cached) and
# the demo service, then runs validate -> bake -> deploy-dev -> test -> promote -> destroy-dev
# on examples/local and prints each step's duration. prod keeps running (make demo-clean
# stops it); a second run bakes and promotes a new image, reusing the base image.
#
#   scripts/demo.sh            prepare, then run the pipeline
#   scripts/demo.sh prepare    only prepare (packages, tools, base image, service binary)
#
# Environment:
#   KILN_DEMO_DIR       the example to run (default examples/local); state stays in it
#   KILN_ACCEL          QEMU accelerator, kvm or tcg (default: kvm if a test boot works)
#   KILN_DEMO_NO_BUILD  1: do not run make (bin/ and .tools/bin are already built)
#   KILN_BIN            the kiln binaries (default bin/ of this checkout)
# and those of examples/local/base/build.sh (KILN_DEBIAN_MIRROR, KILN_DEMO_SSH_KEY, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${KILN_DEMO_DIR:-$root/examples/local}" && pwd)
bin=${KILN_BIN:-$root/bin}
# shellcheck source=SCRIPTDIR/../examples/local/lib/common.sh
. "$root/examples/local/lib/common.sh"

say() { echo "demo: $*" >&2; }

# probe_accel prints kvm when a kernel boots under KVM here (up to its panic for want of a
# root file system), else tcg; the answer is kept until the host reboots.
probe_accel() {
  local kernel=$1 cache boot
  cache=$(demo_cache)/accel
  boot=$(cat /proc/sys/kernel/random/boot_id)
  if [ -f "$cache" ] && [ "$(cut -d' ' -f1 "$cache")" = "$boot" ]; then
    cut -d' ' -f2 "$cache"
    return
  fi
  local accel=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
    timeout 15 qemu-system-x86_64 -accel kvm -m 256 -nodefaults -display none -no-reboot \
      -serial stdio -kernel "$kernel" -append 'console=ttyS0 panic=-1' 2>/dev/null |
    grep -aq 'Kernel panic'; then
    accel=kvm
  fi
  echo "$boot $accel" >"$cache"
  echo "$accel"
}

# phase NAME START: one progress line with the time a phase took since START ($SECONDS).
phase() { say "$1 ready in $((SECONDS - $2))s"; }

prepare() {
  local t=$SECONDS
  ensure_packages qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client
  phase "packages (QEMU, debootstrap)" "$t"
  if [ "${KILN_DEMO_NO_BUILD:-}" != 1 ]; then
    t=$SECONDS
    say "building Terraform, Packer, goss and kiln (make demo-tools build; cached after the first run)"
    make -s -C "$root" demo-tools build >&2
    phase "tools and kiln" "$t"
  fi
  # goss checks copy goss to the VM (scripts/tools.sh builds it once).
  if grep -q '^[[:space:]]*goss:' "$dir/kiln.yaml"; then
    bash "$root/scripts/tools.sh" goss >&2
  fi
  local base key version
  t=$SECONDS
  say "building the Debian base image (debootstrap; cached after the first run)"
  base=$("$dir/base/build.sh")
  phase "base image" "$t"
  key=$(demo_key)
  mkdir -p "$dir/.build"
  ln -sfn "$base" "$dir/.build/base"
  ln -sfn "$key" "$dir/.build/ssh_key"
  ln -sfn "$key.pub" "$dir/.build/ssh_key.pub"
  version=$(sed -n 's/^[[:space:]]*app_version:[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$dir/kiln.yaml" | head -1)
  say "building the demo service ${version:-dev}"
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath \
    -ldflags "-s -w -X main.version=${version:-dev}" -o "$dir/.build/kiln-demo" ./examples/local/app)
  local accel=${KILN_ACCEL:-$(probe_accel "$base/vmlinuz")}
  say "QEMU accelerator: $accel"
  echo "$accel" >"$dir/.build/accel"
}

# step NAME ARGS...: runs kiln-NAME in the example and records its duration, exit code and
# the record's image id afterwards.
declare -a rows=()
step() {
  local name=$1 start code=0 ms id
  shift
  start=$(date +%s%N)
  say "kiln-$name $*"
  (cd "$dir" && "$bin/kiln-$name" "$@") || code=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  say "kiln-$name: $([ $code = 0 ] && echo "done" || echo "exit $code") in $((ms / 1000)).$((ms % 1000 / 100))s"
  id=$(image_id)
  [ "$name" != validate ] || id=
  rows+=("$(printf '%-12s %5d.%ds  %-8s %s' "$name${1:+ ${*: -1}}" $((ms / 1000)) $((ms % 1000 / 100)) \
    "$([ $code = 0 ] && echo ok || echo "exit $code")" "${id:--}")")
  return $code
}

table() {
  echo
  printf '%-12s %7s  %-8s %s\n' step duration result image
  printf '%s\n' "${rows[@]}"
}

pipeline() {
  local accel
  accel=$(cat "$dir/.build/accel")
  export PKR_VAR_accelerator=$accel TF_VAR_accelerator=$accel
  # The pinned tools make tools built, wherever the example is.
  export KILN_TERRAFORM=${KILN_TERRAFORM:-$root/.tools/bin/terraform}
  export KILN_PACKER=${KILN_PACKER:-$root/.tools/bin/packer}
  [ ! -x "$root/.tools/bin/goss" ] || export KILN_GOSS=${KILN_GOSS:-$root/.tools/bin/goss}
  # Outside a git checkout (a copy of the example), the source commit is this checkout's.
  if ! git -C "$dir" rev-parse HEAD >/dev/null 2>&1; then
    export KILN_SOURCE_SHA=${KILN_SOURCE_SHA:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)}
    export KILN_SOURCE_REF=${KILN_SOURCE_REF:-$(git -C "$root" rev-parse --abbrev-ref HEAD 2>/dev/null || echo master)}
  fi
  # After the promotion, kiln-test verifies prod (no SSH there: over HTTP) with the checks
  # that list it; the verification is recorded apart from the tests the gate read.
  local s
  for s in validate bake deploy-dev test promote "test --environment prod" destroy-dev; do
    # shellcheck disable=SC2086 # a step and its arguments
    if ! step $s; then
      table
      say "kiln-$s failed; the state is kept for a look (make demo-clean removes everything)"
      return 1
    fi
  done
  table
  local prod
  prod=$(sed -n 's/^KILN_OUTPUT_PROD_ADDRESS=//p' "$dir/kiln.env" 2>/dev/null || true)
  [ -z "$prod" ] || printf 'prod: http://%s/healthz\n' "$prod"
}

image_id() {
  sed -n 's/^KILN_IMAGE_ID=//p' "$dir/kiln.env" 2>/dev/null || true
}

case "${1:-all}" in
prepare) prepare ;;
all)
  prepare
  pipeline
  ;;
*)
  echo "usage: scripts/demo.sh [prepare]" >&2
  exit 2
  ;;
esac

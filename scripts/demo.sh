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
#   KILN_DEMO_REGISTRY  oci: keep the image in an OCI registry (.tools/bin/registry on a free
#                       127.0.0.1 port, storage in .build/oci/registry) and run bake in one
#                       "runner" directory, the deploys in another; they share only the
#                       record and kiln.env (docs/oci-registry.md); local or unset: the
#                       example's own directory registry, all steps in the example
# and those of examples/local/base/build.sh (KILN_DEBIAN_MIRROR, KILN_DEMO_SSH_KEY, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${KILN_DEMO_DIR:-$root/examples/local}" && pwd)
bin=${KILN_BIN:-$root/bin}
# shellcheck source=SCRIPTDIR/../examples/local/lib/common.sh
. "$root/examples/local/lib/common.sh"

say() { echo "demo: $*" >&2; }

case "${KILN_DEMO_REGISTRY:-local}" in
local | oci) ;;
*)
  echo "demo: KILN_DEMO_REGISTRY=${KILN_DEMO_REGISTRY}: not one of local, oci" >&2
  exit 2
  ;;
esac

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
  ensure_packages qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client haproxy
  phase "packages (QEMU, debootstrap, HAProxy)" "$t"
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
  if [ "${KILN_DEMO_REGISTRY:-}" = oci ]; then
    bash "$root/scripts/tools.sh" registry >&2
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
  # The load on prod while kiln-promote rolls a new image out.
  (cd "$root" && go build -trimpath -o "$dir/.build/kiln-load" ./examples/local/load)
  local accel=${KILN_ACCEL:-$(probe_accel "$base/vmlinuz")}
  say "QEMU accelerator: $accel"
  echo "$accel" >"$dir/.build/accel"
}

# step NAME ARGS...: runs kiln-NAME in the example and records its duration, exit code and
# the record's image id afterwards.
declare -a rows=()
step() {
  [ "$1" != promote ] || load_start
  local name=$1 start code=0 ms id
  shift
  start=$(date +%s%N)
  say "kiln-$name $*"
  (cd "$dir" && "$bin/kiln-$name" "$@") || code=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  [ "$name" != promote ] || load_stop
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
  [ -z "$load_line" ] || printf '\nprod during kiln-promote: %s\n' "$load_line"
}

# load_start: when prod's load balancer already serves (an earlier run promoted an image),
# kiln-load sends it 20 requests per second while kiln-promote rolls the new image out, and
# load_stop says what those clients saw. On a first promotion nothing serves yet.
load_pid='' load_line=''
load_start() {
  local port
  port=$(sed -n 's/^[[:space:]]*lb_port:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/kiln.yaml" | head -1)
  load_pid='' load_line=''
  [ -n "$port" ] && [ -x "$dir/.build/kiln-load" ] || return 0
  if ! curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    load_line="no figures: prod served nothing before this promotion (its first); run make demo again to see a blue-green promotion under load"
    return 0
  fi
  say "kiln-load: 20 requests per second to prod (http://127.0.0.1:$port/) during kiln-promote"
  "$dir/.build/kiln-load" -url "http://127.0.0.1:$port/" -rate 20 -max 30m -json "$dir/.build/load.json" >"$dir/.build/load.txt" 2>&1 &
  load_pid=$!
  sleep 1
}

load_stop() {
  [ -n "$load_pid" ] || return 0
  sleep 1
  kill -INT "$load_pid" 2>/dev/null || true
  wait "$load_pid" || true
  load_pid=
  load_line=$(sed 's/^load on [^ ]* at \([0-9]*\/s\): /\1: /' "$dir/.build/load.txt")
  say "prod during kiln-promote: $load_line"
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
  if [ "${KILN_DEMO_REGISTRY:-}" = oci ]; then
    pipeline_oci
    return
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

# With KILN_DEMO_REGISTRY=oci, everything lives under .build/oci: the registry (its storage,
# configuration, log, pid and port), the bake runner and the deploy runner.
oci_dir=$dir/.build/oci

# start_registry: starts .tools/bin/registry (CNCF Distribution) on 127.0.0.1, plain HTTP,
# storage under .build/oci/registry, on the port it had last time if that is free (the
# images' ids name it), else on a free one; prints the port.
start_registry() {
  local reg=$oci_dir/registry port try code=
  mkdir -p "$reg/storage"
  stop_registry
  port=$(cat "$reg/port" 2>/dev/null || true)
  for try in 1 2 3 4 5; do
    if [ -z "$port" ] || [ "$try" -gt 1 ] || (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    (
      umask 077
      printf '%s\n' 'version: 0.1' 'log:' '  level: error' '  accesslog:' '    disabled: true' \
        'storage:' '  filesystem:' "    rootdirectory: $reg/storage" '  delete:' '    enabled: true' \
        'http:' "  addr: 127.0.0.1:$port" "  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$reg/config.yml"
    )
    # No telemetry leaves the process: the registry's OpenTelemetry exporter is off.
    OTEL_TRACES_EXPORTER=none OTEL_SDK_DISABLED=true \
      setsid "$root/.tools/bin/registry" serve "$reg/config.yml" >"$reg/log" 2>&1 </dev/null &
    echo $! >"$reg/pid"
    for _ in $(seq 100); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
      [ "$code" = 200 ] && break
      kill -0 "$(cat "$reg/pid")" 2>/dev/null || break
      sleep 0.1
    done
    if [ "$code" = 200 ]; then
      echo "$port" >"$reg/port"
      echo "$port"
      return 0
    fi
    stop_registry
  done
  say "the OCI registry did not start (see $reg/log)"
  return 1
}

# stop_registry: stops the registry start_registry started (its pid, if that process still
# serves the demo's configuration).
stop_registry() {
  local reg=$oci_dir/registry pid
  pid=$(cat "$reg/pid" 2>/dev/null || true)
  rm -f "$reg/pid"
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$reg/config.yml" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# runner DIR: a copy of the example in DIR, as a CI runner's checkout would be: its sources
# only (no registry, record, Packer output or Terraform state of the example's own runs), a
# kiln.yaml whose registry is the OCI one and whose ports are 1000 up (so that the example's
# own prod may keep running), and .build's inputs (base image, key, service binary) linked.
# What DIR's own steps left there (Terraform's state, the VMs' files) stays.
runner() {
  local to=$1 f
  copy_example "$dir" "$to"
  mkdir -p "$to/.build"
  awk '/^registry:/ { skip = 1; print "registry:"; print "  type: oci"
      print "  # the repository: KILN_REGISTRY_REPOSITORY (the demo registry'"'"'s port may change)"
      print "  plain_http: true"; next }
    skip && /^[[:space:]]/ { next }
    { skip = 0; print }' "$dir/kiln.yaml" |
    sed 's/base_port: 24022/base_port: 25022/; s/base_port: 24122/base_port: 25122/; s/lb_port: 24100/lb_port: 25100/' >"$to/kiln.yaml"
  for f in base ssh_key ssh_key.pub kiln-demo kiln-load accel; do
    ln -sfn "$dir/.build/$f" "$to/.build/$f"
  done
}

# pipeline_oci: the pipeline of KILN_DEMO_REGISTRY=oci: validate and bake in the bake runner
# (which pushes the image), then only the record and kiln.env move to the deploy runner,
# which pulls the image by digest into its own cache for deploy-dev, test and promote.
pipeline_oci() {
  local port bake=$oci_dir/bake-runner deploy=$oci_dir/deploy-runner s
  port=$(start_registry)
  trap stop_registry EXIT
  export KILN_REGISTRY_REPOSITORY=127.0.0.1:$port/kiln-demo/images
  export KILN_OCI_CACHE=$deploy/.oci-cache
  say "OCI registry: http://127.0.0.1:$port (storage $oci_dir/registry/storage), repository $KILN_REGISTRY_REPOSITORY"
  rm -rf "$bake"
  runner "$bake"
  runner "$deploy"
  rm -f "$deploy/kiln-image.json" "$deploy/kiln.env" "$deploy/kiln-junit.xml"
  for s in validate bake; do
    if ! dir=$bake step $s; then
      oci_table
      say "kiln-$s failed in $bake; the state is kept for a look (make demo-clean removes everything)"
      return 1
    fi
  done
  cp "$bake/kiln-image.json" "$bake/kiln.env" "$deploy/"
  for s in deploy-dev test promote "test --environment prod" destroy-dev; do
    # shellcheck disable=SC2086 # a step and its arguments
    if ! dir=$deploy step $s; then
      oci_table
      say "kiln-$s failed in $deploy; the state is kept for a look (make demo-clean removes everything)"
      return 1
    fi
  done
  oci_table
  local prod
  prod=$(sed -n 's/^KILN_OUTPUT_PROD_ADDRESS=//p' "$deploy/kiln.env" 2>/dev/null || true)
  [ -z "$prod" ] || printf 'prod: http://%s/healthz\n' "$prod"
  say "prod runs from the deploy runner's cache $KILN_OCI_CACHE; the registry stops now (make demo-clean stops prod)"
}

# oci_table: the table, then the registry and the runners.
oci_table() {
  table
  printf 'registry: oci %s (plain HTTP on loopback)\n' "$KILN_REGISTRY_REPOSITORY"
  printf 'runners:  bake in %s, deploys in %s\n' "${oci_dir#"$root"/}/bake-runner" "${oci_dir#"$root"/}/deploy-runner"
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

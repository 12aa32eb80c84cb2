#!/usr/bin/env bash
# Zero-downtime promotions on the local QEMU example, measured: on a copy of examples/local,
# runs the demo's pipeline twice (the first promotion brings prod's blue slot up; the second
# bakes a new image and promotes it blue-green next to the serving one while kiln-load sends
# prod's HAProxy 20 requests per second), then kiln-rollback under the same load, and prints
# what the clients saw in each. Nothing is asserted on time. About 8 minutes under TCG.
#
#   scripts/bench-rollout-local.sh
#
# Environment: KILN_BENCH_DIR (the copy; default a new temporary directory, removed unless
# KILN_BENCH_KEEP=1), KILN_BENCH_PORT (default 48022: dev there, prod's VMs from +100, its load
# balancer at +80), and scripts/demo.sh's (KILN_ACCEL, KILN_DEMO_NO_BUILD, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${KILN_BENCH_DIR:-$(mktemp -d /tmp/kiln-bench-rollout.XXXXXX)}
port=${KILN_BENCH_PORT:-48022}
bin=${KILN_BIN:-$root/bin}
lb=$((port + 80))

# shellcheck source=SCRIPTDIR/../examples/local/lib/common.sh
. "$root/examples/local/lib/common.sh"

say() { echo "bench-rollout-local: $*" >&2; }

cleanup() {
  KILN_DEMO_DIR=$work KILN_BIN=$bin "$root/scripts/demo-clean.sh" >/dev/null 2>&1 || true
  [ "${KILN_BENCH_KEEP:-}" = 1 ] || [ -n "${KILN_BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

copy_example "$root/examples/local" "$work"
sed -i "s/base_port: 24022/base_port: $port/; s/base_port: 24122/base_port: $((port + 100))/; s/lb_port: 24100/lb_port: $lb/" "$work/kiln.yaml"

rows=()
# demo N: one run of the demo's pipeline in the copy; keeps its promote row and load line.
demo() {
  local out
  say "pipeline run $1 (log: $work/demo-$1.log)"
  out=$(KILN_DEMO_DIR=$work KILN_BIN=$bin "$root/scripts/demo.sh" 2>"$work/demo-$1.log") || {
    printf '%s\n' "$out" >&2
    tail -30 "$work/demo-$1.log" >&2
    return 1
  }
  printf '%s\n' "$out" >"$work/demo-$1.out"
  local took figures
  took=$(awk '$1 == "promote" { print $2 }' <<<"$out")
  figures=$(sed -n 's/^prod during kiln-promote: //p' <<<"$out")
  [[ $figures != "no figures"* ]] || figures="no load: nothing served before"
  rows+=("$(printf '%-34s %8s  %s' "$2" "$took" "${figures:--}")")
}

demo 1 "first promotion (prod empty)"
demo 2 "second promotion (blue-green)"

say "kiln-rollback under load"
accel=$(cat "$work/.build/accel")
"$work/.build/kiln-load" -url "http://127.0.0.1:$lb/" -rate 20 -max 30m >"$work/rollback-load.txt" &
load=$!
sleep 1
start=$(date +%s%N)
(cd "$work" && PKR_VAR_accelerator=$accel TF_VAR_accelerator=$accel KILN_TERRAFORM=$root/.tools/bin/terraform \
  "$bin/kiln-rollback" >"$work/rollback.out" 2>"$work/rollback.log") || { tail -30 "$work/rollback.log" >&2; kill "$load"; exit 1; }
ms=$((($(date +%s%N) - start) / 1000000))
sleep 1
kill -INT "$load"
wait "$load" || true
rows+=("$(printf '%-34s %8s  %s' "rollback (blue-green)" "$((ms / 1000)).$((ms % 1000 / 100))s" \
  "$(sed 's/^load on [^ ]* at \([0-9]*\/s\): /\1: /' "$work/rollback-load.txt")")")

printf '\n%-34s %8s  %s\n' run duration "what 20 requests/s to prod's HAProxy saw"
printf '%s\n' "${rows[@]}"

#!/usr/bin/env bash
# kiln's overhead on the local example: times kiln-bake, kiln-deploy-dev and kiln-destroy-dev
# against the raw commands they wrap (packer init + build; terraform init + workspace + apply;
# terraform destroy) on a copy of examples/local, one VM at a time, and prints both.
#
#   scripts/bench-local.sh [RUNS]    RUNS rounds of each (default 1); about 3 minutes a round
#
# Environment: KILN_BENCH_DIR (the copy; default a new temporary directory, removed unless
# KILN_BENCH_KEEP=1), KILN_BENCH_PORT (default 47022: the copy uses the 4 ports from there),
# and scripts/demo.sh's (KILN_ACCEL, KILN_DEMO_NO_BUILD, ...).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
work=${KILN_BENCH_DIR:-$(mktemp -d /tmp/kiln-bench.XXXXXX)}
port=${KILN_BENCH_PORT:-47022}
bin=${KILN_BIN:-$root/bin}
export KILN_TERRAFORM=${KILN_TERRAFORM:-$root/.tools/bin/terraform}
export KILN_PACKER=${KILN_PACKER:-$root/.tools/bin/packer}

# shellcheck source=SCRIPTDIR/../examples/local/lib/common.sh
. "$root/examples/local/lib/common.sh"

say() { echo "bench: $*" >&2; }

# ms CMD...: runs CMD (output to the log) and prints how long it took, in milliseconds.
ms() {
  local start
  start=$(date +%s%N)
  "$@" >>"$work/bench.log" 2>&1 || { say "failed: $* (see $work/bench.log)"; tail -20 "$work/bench.log" >&2; exit 1; }
  echo $((($(date +%s%N) - start) / 1000000))
}

cleanup() {
  (cd "$work/terraform" && TF_DATA_DIR=$work/.bench-tf "$KILN_TERRAFORM" destroy -auto-approve -input=false \
    -var image_id=raw -var base_port=$((port + 2)) >/dev/null 2>&1) || true
  KILN_DEMO_DIR=$work KILN_BIN=$bin "$root/scripts/demo-clean.sh" >/dev/null 2>&1 || true
  [ "${KILN_BENCH_KEEP:-}" = 1 ] || [ -n "${KILN_BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

copy_example "$root/examples/local" "$work"
sed -i "s/base_port: 24022/base_port: $port/; s/base_port: 24122/base_port: $((port + 100))/; s/lb_port: 24100/lb_port: $((port + 90))/" "$work/kiln.yaml"
KILN_DEMO_DIR=$work "$root/scripts/demo.sh" prepare
accel=$(cat "$work/.build/accel")
export PKR_VAR_accelerator=$accel TF_VAR_accelerator=$accel PKR_VAR_image_family=kiln-demo
export KILN_SOURCE_SHA=${KILN_SOURCE_SHA:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)}
export KILN_SOURCE_REF=${KILN_SOURCE_REF:-bench}
tf() { (cd "$work/terraform" && TF_DATA_DIR=$work/.bench-tf TF_IN_AUTOMATION=1 "$KILN_TERRAFORM" "$@"); }

raw_bake() {
  (cd "$work/packer" && "$KILN_PACKER" init . &&
    PKR_VAR_image_name=$1 "$KILN_PACKER" build -machine-readable -on-error=cleanup .)
}
raw_deploy() {
  tf init -input=false && tf workspace select -or-create bench &&
    KILN_IMAGE_PATH=$work/packer/output/$1/disk.qcow2 \
      tf apply -auto-approve -input=false -var image_id=raw -var base_port=$((port + 2))
}
raw_destroy() { tf destroy -auto-approve -input=false -var image_id=raw -var base_port=$((port + 2)); }
# The raw image of a round is Packer's output; kiln's is imported into the copy's registry.
kiln() { (cd "$work" && "$bin/kiln-$1"); }

# row OP RUN RAW_MS KILN_MS: one line of the table.
row() {
  awk -v op="$1" -v run="$2" -v r="$3" -v k="$4" \
    'BEGIN { printf "%-9s %4s %9.1fs %9.1fs %+9.1fs\n", op, run, r / 1000, k / 1000, (k - r) / 1000 }'
}

declare -A sum=()
rows=()
for ((i = 1; i <= runs; i++)); do
  say "round $i of $runs"
  name=bench-raw-$(date +%s)
  for op in bake deploy destroy; do
    case $op in
    bake)
      r=$(ms raw_bake "$name")
      k=$(ms kiln bake)
      ;;
    deploy)
      r=$(ms raw_deploy "$name")
      ms raw_destroy >/dev/null
      k=$(ms kiln deploy-dev)
      ;;
    destroy) # a VM to destroy for each: deploy the raw one again (untimed)
      ms raw_deploy "$name" >/dev/null
      r=$(ms raw_destroy)
      k=$(ms kiln destroy-dev)
      ;;
    esac
    rows+=("$(row "$op" "$i" "$r" "$k")")
    sum[$op.raw]=$((${sum[$op.raw]:-0} + r)) sum[$op.kiln]=$((${sum[$op.kiln]:-0} + k))
  done
done

printf '\n%-9s %4s %10s %10s %10s\n' operation run raw kiln overhead
printf '%s\n' "${rows[@]}"
if [ "$runs" -gt 1 ]; then
  for op in bake deploy destroy; do
    r=${sum[$op.raw]} k=${sum[$op.kiln]}
    row "$op" mean $((r / runs)) $((k / runs))
  done
fi
echo "(QEMU under $accel: a VM's boot time varies by seconds from run to run; weigh the"
echo " overhead against that spread, and use RUNS > 1)"

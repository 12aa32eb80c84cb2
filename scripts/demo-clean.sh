#!/usr/bin/env bash
# make demo-clean: stops everything scripts/demo.sh started. Destroys dev and prod with kiln
# (Terraform's destroy provisioners power the VMs off and remove their overlays), then stops
# any QEMU still running from the example's files (a VM whose state was lost, an interrupted
# bake) and removes the VMs' and Packer's working files.
#
#   scripts/demo-clean.sh          keeps the image registry, the records and the base image
#   scripts/demo-clean.sh --all    also removes the registry (.kiln), the records and .build
#
# Environment: KILN_DEMO_DIR (default examples/local), KILN_BIN (default bin/).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${KILN_DEMO_DIR:-$root/examples/local}" && pwd) || exit 1
bin=${KILN_BIN:-$root/bin}
all=${1:-}

say() { echo "demo-clean: $*" >&2; }

export KILN_TERRAFORM=${KILN_TERRAFORM:-$root/.tools/bin/terraform}
export KILN_PACKER=${KILN_PACKER:-$root/.tools/bin/packer}
status=0

if [ -x "$bin/kiln-destroy-dev" ] && [ -x "$KILN_TERRAFORM" ]; then
  for env in dev prod; do
    say "destroying $env"
    (cd "$dir" && "$bin/kiln-destroy-dev" --environment "$env" --allow-promote-environment) || {
      say "kiln-destroy-dev --environment $env failed; stopping its VMs directly"
      status=1
    }
  done
else
  say "no kiln binaries or terraform (make tools build): stopping the VMs directly"
fi

# KILN_DEMO_REGISTRY=oci's runners and registry (scripts/demo.sh).
oci=$dir/.build/oci
deploy_runner=$oci/deploy-runner
if [ -f "$deploy_runner/kiln.yaml" ] && [ -x "$bin/kiln-destroy-dev" ] && [ -x "$KILN_TERRAFORM" ]; then
  for env in dev prod; do
    say "destroying $env of the OCI demo's deploy runner"
    (cd "$deploy_runner" &&
      KILN_REGISTRY_REPOSITORY="127.0.0.1:$(cat "$oci/registry/port" 2>/dev/null || echo 5000)/kiln-demo/images" \
        KILN_OCI_CACHE=$deploy_runner/.oci-cache \
        "$bin/kiln-destroy-dev" --environment "$env" --allow-promote-environment) || {
      say "kiln-destroy-dev --environment $env failed in $deploy_runner; stopping its VMs directly"
      status=1
    }
  done
fi
# The registry: its pid, if that process still serves the demo's configuration.
reg_pid=$(cat "$oci/registry/pid" 2>/dev/null || true)
if [ -n "$reg_pid" ] && tr '\0' ' ' <"/proc/$reg_pid/cmdline" 2>/dev/null | grep -qF "$oci/registry/config.yml"; then
  say "stopping the OCI registry ($reg_pid)"
  kill -TERM "$reg_pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$reg_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$reg_pid" 2>/dev/null
fi
rm -f "$oci/registry/pid"

# demo_qemu_pids: QEMU and HAProxy processes whose command line names a file of this
# example: the VMs' overlays and the load balancer's configuration (terraform/.run), a
# Packer build (packer/output), or either in the OCI demo's runners (.build/oci).
demo_qemu_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    tr '\0' '\n' <"$p/cmdline" 2>/dev/null | head -1 | grep -qE 'qemu-system|haproxy' || continue
    tr '\0' ' ' <"$p/cmdline" | grep -qF -e "$dir/terraform/.run/" -e "$dir/packer/output/" -e "$oci/" &&
      echo "${p#/proc/}"
  done
}

mapfile -t pids < <(demo_qemu_pids)
if [ ${#pids[@]} -gt 0 ]; then
  say "stopping leftover QEMU and HAProxy: ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null
  for _ in $(seq 40); do
    mapfile -t pids < <(demo_qemu_pids)
    [ ${#pids[@]} -eq 0 ] && break
    sleep 0.25
  done
  [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
fi

rm -rf "$dir/terraform/.run" "$dir/packer/output" "$oci/bake-runner/packer/output" \
  "$oci/bake-runner/terraform/.run" "$deploy_runner/terraform/.run" "$deploy_runner/packer/output"
if [ "$all" = --all ]; then
  say "removing the registry, the records, Terraform's state and .build"
  rm -rf "$dir/.kiln" "$dir/.build" "$dir/kiln-image.json" "$dir/kiln.env" "$dir/kiln-junit.xml" \
    "$dir/terraform/terraform.tfstate.d" "$dir/terraform/.terraform"
fi
[ -z "$(demo_qemu_pids)" ] || { say "QEMU or HAProxy processes remain"; status=1; }
exit $status

#!/usr/bin/env bash
# Starts or stops one QEMU VM of kiln's local example; Terraform's local-exec provisioners
# call it with the VM's settings in the environment (from the resource's input, so that
# destroying needs nothing but the state).
#
#   vm.sh up     VM_NAME VM_DIR VM_SSH_PORT VM_HTTP_PORT VM_ACCEL VM_MEMORY VM_CPUS
#                VM_BOOT_TIMEOUT, VM_SSH (1: the SSH server runs; 0: it is masked, as in prod),
#                VM_IMAGE_ID (the image the VM runs) and KILN_IMAGE_ID/KILN_IMAGE_PATH (the
#                image kiln deploys and its disk, never written): only that image can start
#                a VM, so an apply that would restart another slot's VMs fails instead of
#                booting them from the wrong disk
#   vm.sh down   VM_NAME VM_DIR VM_STOP_TIMEOUT
#
# VM_DIR holds the VM's files: disk.qcow2 (a copy-on-write overlay backed by the image),
# ssh_host_ed25519_key{,.pub} (generated here, handed to the VM through fw_cfg, so its host
# key is known before it boots), uuid, qemu.pid, monitor.{in,out}, console.log, qemu.log.
set -euo pipefail

log() { echo "vm $VM_NAME: $*" >&2; }

# qemu_pid prints the pid of this VM's QEMU if it runs: the pid file's process, and only if
# its command line carries the VM's uuid (a pid can be reused).
qemu_pid() {
  local pid uuid
  pid=$(cat "$VM_DIR/qemu.pid" 2>/dev/null) || return 1
  uuid=$(cat "$VM_DIR/uuid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-uuid $uuid" || return 1
  echo "$pid"
}

# wait_gone PID SECONDS: waits until PID exits; false if it still runs.
wait_gone() {
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    [ -e "/proc/$1" ] || return 0
    sleep 0.25
  done
  [ ! -e "/proc/$1" ]
}

# image_files sets disk, kernel, initrd and cmdline from the image's directory.
image_files() {
  : "${KILN_IMAGE_PATH:?KILN_IMAGE_PATH is not set: deploy with kiln-deploy-dev, or export the image disk path}"
  if [ -n "${VM_IMAGE_ID:-}" ] && [ -n "${KILN_IMAGE_ID:-}" ] && [ "$VM_IMAGE_ID" != "$KILN_IMAGE_ID" ]; then
    log "runs $VM_IMAGE_ID, but kiln deploys $KILN_IMAGE_ID (whose disk KILN_IMAGE_PATH is): only that image's VMs can start here"
    return 1
  fi
  disk=$(realpath "$KILN_IMAGE_PATH")
  local d
  d=$(dirname "$disk")
  kernel=$d/vmlinuz initrd=$d/initrd.img
  cmdline=$(cat "$d/kernel-cmdline" 2>/dev/null || echo 'console=ttyS0 root=/dev/vda rw')
  if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
    log "no vmlinuz and initrd.img beside $disk"
    return 1
  fi
}

up() {
  local disk kernel initrd cmdline
  image_files
  if qemu_pid >/dev/null; then
    log "already running"
    return 0
  fi
  mkdir -p "$VM_DIR"
  VM_DIR=$(cd "$VM_DIR" && pwd)
  rm -f "$VM_DIR"/{disk.qcow2,ssh_host_ed25519_key,ssh_host_ed25519_key.pub,monitor.in,monitor.out,qemu.pid}
  qemu-img create -q -f qcow2 -F qcow2 -b "$disk" "$VM_DIR/disk.qcow2"
  ssh-keygen -q -t ed25519 -N '' -C "$VM_NAME" -f "$VM_DIR/ssh_host_ed25519_key"
  cat /proc/sys/kernel/random/uuid >"$VM_DIR/uuid"
  mkfifo "$VM_DIR/monitor.in" "$VM_DIR/monitor.out"
  # Without SSH (prod) the units are masked on the kernel command line: the same image, no
  # way in. The VM is then ready when its service answers.
  local extra=""
  [ "${VM_SSH:-1}" = 1 ] || extra=" systemd.mask=ssh.service systemd.mask=ssh.socket"
  log "starting on ssh 127.0.0.1:$VM_SSH_PORT, http 127.0.0.1:$VM_HTTP_PORT ($VM_ACCEL${extra:+, ssh off})"
  if ! qemu-system-x86_64 -name "$VM_NAME" -uuid "$(cat "$VM_DIR/uuid")" \
    -accel "$VM_ACCEL" -m "$VM_MEMORY" -smp "$VM_CPUS" -nodefaults -display none \
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline systemd.hostname=$VM_NAME$extra" \
    -drive "file=$VM_DIR/disk.qcow2,if=virtio,format=qcow2,discard=unmap" \
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$VM_SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$VM_HTTP_PORT-:8080" \
    -device virtio-net-pci,netdev=net0 \
    -fw_cfg "name=opt/kiln/ssh_host_ed25519_key,file=$VM_DIR/ssh_host_ed25519_key" \
    -serial "file:$VM_DIR/console.log" -monitor "pipe:$VM_DIR/monitor" \
    -pidfile "$VM_DIR/qemu.pid" -daemonize >"$VM_DIR/qemu.log" 2>&1; then
    log "qemu failed: $(cat "$VM_DIR/qemu.log")"
    return 1
  fi
  if [ "${VM_SSH:-1}" = 1 ]; then
    wait_ssh
  else
    wait_http
  fi
}

# wait_http waits until the VM's service answers /healthz (a VM without SSH).
wait_http() {
  local start=$SECONDS
  while :; do
    # bash's /dev/tcp: no HTTP client needed on the host.
    # shellcheck disable=SC2016 # $1 is the inner shell's
    if timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && grep -q "\"status\":\"ok\"" <&3' \
      _ "$VM_HTTP_PORT" 2>/dev/null; then
      log "the service answers after $((SECONDS - start))s"
      return 0
    fi
    booting "the service" || return 1
    sleep 2
  done
}

# booting fails when QEMU is gone or the boot timeout passed, showing the console's end.
booting() {
  if ! qemu_pid >/dev/null; then
    log "qemu exited while booting; console:"
    tail -20 "$VM_DIR/console.log" >&2 || true
    return 1
  fi
  if [ $((SECONDS - start)) -ge "$VM_BOOT_TIMEOUT" ]; then
    log "no answer from $1 after ${VM_BOOT_TIMEOUT}s; console:"
    tail -20 "$VM_DIR/console.log" >&2 || true
    return 1
  fi
}

# wait_ssh waits until the VM's SSH server presents the host key it was given.
wait_ssh() {
  local want got start=$SECONDS
  want=$(cut -d' ' -f1,2 "$VM_DIR/ssh_host_ed25519_key.pub")
  while :; do
    got=$(ssh-keyscan -T 5 -t ed25519 -p "$VM_SSH_PORT" 127.0.0.1 2>/dev/null | cut -d' ' -f2,3 || true)
    if [ "$got" = "$want" ]; then
      log "ssh answers with its pinned host key after $((SECONDS - start))s"
      return 0
    fi
    if ! qemu_pid >/dev/null; then
      log "qemu exited while booting; console:"
      tail -20 "$VM_DIR/console.log" >&2 || true
      return 1
    fi
    if [ $((SECONDS - start)) -ge "$VM_BOOT_TIMEOUT" ]; then
      log "no ssh with the pinned host key after ${VM_BOOT_TIMEOUT}s (got: ${got:-nothing}); console:"
      tail -20 "$VM_DIR/console.log" >&2 || true
      return 1
    fi
    sleep 2
  done
}

# down powers the VM off (ACPI, through the monitor), then terminates and kills QEMU if it
# does not stop in time, and removes the VM's files.
down() {
  local pid
  if pid=$(qemu_pid); then
    log "powering off (pid $pid)"
    # The FIFO's reader is QEMU; the timeout covers a QEMU that exits meanwhile.
    # shellcheck disable=SC2016 # $1 is the inner shell's
    timeout 5 bash -c 'echo system_powerdown >"$1"' _ "$VM_DIR/monitor.in" || true
    if ! wait_gone "$pid" "$VM_STOP_TIMEOUT"; then
      log "still running after ${VM_STOP_TIMEOUT}s: SIGTERM"
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || { log "SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
    fi
  else
    log "not running"
  fi
  rm -rf "$VM_DIR"
  rmdir "$(dirname "$VM_DIR")" 2>/dev/null || true
}

# Only ever remove a VM directory: VM_DIR comes from Terraform's state.
case "$(basename "${VM_DIR:-/}")" in
vm-*) ;;
*)
  echo "vm.sh: VM_DIR=${VM_DIR:-} is not a VM directory (vm-<slot>-<i>)" >&2
  exit 2
  ;;
esac

case "${1:-}" in
up) up ;;
down) down ;;
*)
  echo "usage: vm.sh up|down (settings in VM_* variables)" >&2
  exit 2
  ;;
esac

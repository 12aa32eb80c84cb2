#!/usr/bin/env bash
# Builds the base image of kiln's local demo, or finds it in the cache: a minimal Debian
# bookworm made with debootstrap (systemd, openssh-server, the cloud kernel), as an ext4 root
# file system in a qcow2, with its kernel and initrd beside it for direct kernel boot.
#
#   examples/local/base/build.sh     prints the base image's directory on stdout
#
# The directory is ${XDG_CACHE_HOME:-~/.cache}/kiln/base/<hash>/ (disk.qcow2, vmlinuz,
# initrd.img, cmdline, SHA256SUMS), where <hash> covers this script, ./packages, ./files/
# and the SSH public key: the image is rebuilt only when one of them changes. Needs root
# (debootstrap, chroot) and about 1 GB of disk while it builds; the downloaded packages stay
# in <cache>/debootstrap, so a rebuild after an edit takes about a minute.
#
# Environment:
#   KILN_DEMO_SSH_KEY     root's SSH private key (default: <cache>/ssh/kiln-demo_ed25519,
#                         generated); the image authorizes its .pub
#   KILN_DEBIAN_MIRROR    the Debian mirror (default: the one this machine's apt uses)
#   KILN_DEMO_BASE_IMAGE  a Debian cloud image file (genericcloud, qcow2 or raw) to use instead
#                         of building one: the printed directory then holds only disk.qcow2,
#                         which Packer boots with its own boot loader and cloud-init (see
#                         examples/local/README.md)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$here/../lib/common.sh"

SUITE=bookworm
DISK_SIZE=2G

log() { echo "base: $*" >&2; }

# apt_mirror prints the first Debian mirror of this machine's apt sources (one-line and
# deb822 formats) whose suites name a Debian release, security archives excepted.
apt_mirror() {
  if [ -n "${KILN_DEBIAN_MIRROR:-}" ]; then
    echo "$KILN_DEBIAN_MIRROR"
    return
  fi
  local codenames='^(buster|bullseye|bookworm|trixie|forky|sid|oldstable|stable|testing|unstable)(-updates)?$'
  {
    # one-line format: deb [options] URI suite components...
    grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/\[[^]]*\]//' | awk '{ print $2, $3 }'
    # deb822 format: stanzas of Types/URIs/Suites
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" }
        { types = ""; uris = ""; suites = ""; enabled = "yes"
          for (i = 1; i <= NF; i++) {
            line = $i; sub(/^[ \t]+/, "", line)
            if (line ~ /^#/) continue
            if (line ~ /^Types:/) { types = substr(line, 7) }
            if (line ~ /^URIs:/) { uris = substr(line, 6) }
            if (line ~ /^Suites:/) { suites = substr(line, 8) }
            if (line ~ /^Enabled:/) { enabled = substr(line, 9); gsub(/[ \t]/, "", enabled) }
          }
          if (enabled == "no" || types !~ /(^|[ \t])deb([ \t]|$)/) next
          split(uris, u, /[ \t]+/); n = split(suites, s, /[ \t]+/)
          for (j = 1; j <= n; j++) if (s[j] != "") for (k in u) if (u[k] != "") print u[k], s[j]
        }' "$f"
    done
  } | while read -r uri suite; do
    if [[ $suite =~ $codenames ]]; then
      echo "${uri%/}"
      break
    fi
  done
}

# inputs_hash covers everything the image is made from.
inputs_hash() {
  (cd "$here" && sha256sum build.sh packages files/* && cat "$1") | sha256sum | cut -c1-16
}

# configure makes the debootstrapped tree bootable and reachable as root with key $1.
configure() {
  local root=$1 pub=$2
  install -m 0644 "$here/files/10-dhcp.network" "$root/etc/systemd/network/10-dhcp.network"
  install -m 0644 "$here/files/kiln-ssh-keygen.service" "$root/etc/systemd/system/kiln-ssh-keygen.service"
  install -m 0644 "$here/files/sshd-kiln.conf" "$root/etc/ssh/sshd_config.d/kiln.conf"
  chroot "$root" systemctl enable -q systemd-networkd.service kiln-ssh-keygen.service
  # Timers that would only compete for the emulated CPU (and apt has no network in the VM).
  chroot "$root" systemctl mask -q e2scrub_reap.service e2scrub_all.timer apt-daily.timer \
    apt-daily-upgrade.timer fstrim.timer 2>/dev/null || true
  echo kiln-demo >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 kiln-demo\n' >"$root/etc/hosts"
  echo 'LABEL=kiln-root / ext4 defaults,errors=remount-ro 0 0' >"$root/etc/fstab"
  echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$pub" "$root/root/.ssh/authorized_keys"
  # Nothing that must differ between machines: no host keys, an empty machine-id.
  rm -f "$root"/etc/ssh/ssh_host_*
  : >"$root/etc/machine-id"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
}

build() {
  local out=$1 key=$2 work=$1.build.$$
  local mirror
  mirror=$(apt_mirror)
  [ -n "$mirror" ] || { log "no Debian mirror in /etc/apt/sources.list*: set KILN_DEBIAN_MIRROR"; return 1; }
  ensure_packages debootstrap qemu-utils e2fsprogs
  rm -rf "$work"
  mkdir -p "$work"
  trap 'rm -rf "$work"' EXIT
  local pkgs
  pkgs=$(grep -v '^#' "$here/packages" | xargs | tr ' ' ,)
  log "debootstrap $SUITE from $mirror (a few minutes)"
  # Downloaded packages are kept in the cache: a rebuild after an edit downloads nothing new.
  mkdir -p "$(demo_cache)/debootstrap"
  if ! debootstrap --variant=minbase --include="$pkgs" --cache-dir="$(demo_cache)/debootstrap" \
    "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    return 1
  fi
  configure "$work/rootfs" "$key.pub"
  cp "$work"/rootfs/boot/vmlinuz-* "$work/vmlinuz"
  cp "$work"/rootfs/boot/initrd.img-* "$work/initrd.img"
  echo 'console=ttyS0 root=LABEL=kiln-root rw' >"$work/cmdline"
  log "mkfs.ext4 -d and qemu-img convert"
  mkfs.ext4 -q -F -L kiln-root -E root_owner=0:0 -d "$work/rootfs" "$work/disk.raw" "$DISK_SIZE" >&2
  qemu-img convert -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
  rm -rf "$work/rootfs" "$work/disk.raw"
  (cd "$work" && sha256sum disk.qcow2 vmlinuz initrd.img cmdline >SHA256SUMS)
  mv "$work" "$out"
  trap - EXIT
}

# cloud_image CACHE IMAGE: a Debian cloud image as the base, converted to qcow2 once.
cloud_image() {
  local out
  out=$1/cloud-$(sha256sum "$2" | cut -c1-16)
  if [ ! -f "$out/disk.qcow2" ]; then
    log "converting $2 to qcow2"
    mkdir -p "$out.tmp"
    qemu-img convert -O qcow2 "$2" "$out.tmp/disk.qcow2"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

main() {
  local key cache out
  key=$(demo_key)
  cache=$(demo_cache)/base
  mkdir -p "$cache"
  if [ -n "${KILN_DEMO_BASE_IMAGE:-}" ]; then
    cloud_image "$cache" "$KILN_DEMO_BASE_IMAGE"
    return
  fi
  [ "$(id -u)" = 0 ] || { log "needs root (debootstrap and chroot)"; exit 1; }
  out=$cache/$(inputs_hash "$key.pub")
  exec 9>"$cache/.lock"
  flock 9
  if [ -f "$out/disk.qcow2" ]; then
    log "cached: $out"
  else
    local start=$SECONDS
    build "$out" "$key"
    log "built $out in $((SECONDS - start))s"
  fi
  echo "$out"
}

main "$@"

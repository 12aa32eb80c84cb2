#!/bin/sh
# Runs in the build VM last: removes what must differ between machines (SSH host keys, the
# machine id) and what only the build needed, so every VM of the image starts fresh.
set -eu
rm -rf /tmp/kiln-demo /tmp/kiln-files /tmp/kiln-boot
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
# No persistent journal: the root file system is read-only, journald keeps it under /run.
rm -rf /var/log/journal /var/lib/systemd/random-seed
# A cloud image's cloud-init would replace the host key on the VMs' first boot: the key they
# get from the hypervisor is the one to keep.
if [ -d /etc/cloud ]; then
  cloud-init clean --logs >/dev/null 2>&1 || true
  touch /etc/cloud/cloud-init.disabled
fi
fstrim -a 2>/dev/null || true
sync
# The package list as baked, for kiln-test's immutable check: kiln-bake records this digest.
printf 'kiln-fact packages_digest sha256:%s\n' \
  "$(dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"

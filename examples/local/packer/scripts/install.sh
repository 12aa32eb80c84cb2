#!/bin/sh
# Runs in the build VM (Packer's shell provisioner): installs the demo service and the
# host-key unit, records the image's name, checks that the service answers, makes the image
# immutable (root mounted read-only, scratch space in memory, the SSH host key under /run),
# and puts the kernel, initrd and kernel command line in /tmp/kiln-boot for Packer to
# download.
set -eu
: "${IMAGE_NAME:?}" "${APP_VERSION:?}"

id kiln-demo >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kiln-demo
install -m 0755 /tmp/kiln-demo /usr/local/bin/kiln-demo
install -m 0755 /tmp/kiln-files/kiln-hostkey /usr/local/sbin/kiln-hostkey
install -m 0644 /tmp/kiln-files/kiln-hostkey.service /tmp/kiln-files/kiln-demo.service /etc/systemd/system/
install -d -m 0755 /etc/kiln-demo
printf '%s\n' "$IMAGE_NAME" >/etc/kiln-demo/image-name
cat >/etc/kiln-demo/build.env <<END
IMAGE_NAME=$IMAGE_NAME
IMAGE_FAMILY=${IMAGE_FAMILY:-}
SOURCE_SHA=${SOURCE_SHA:-}
APP_VERSION=$APP_VERSION
END
chmod 0644 /etc/kiln-demo/image-name /etc/kiln-demo/build.env
systemctl daemon-reload
systemctl enable -q kiln-hostkey.service kiln-demo.service
systemctl restart kiln-demo.service

# The service must answer before the image is worth keeping (bash's /dev/tcp: no curl here).
i=0
until body=$(bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && cat <&3' 2>/dev/null) &&
  echo "$body" | grep -q "\"image\":\"$IMAGE_NAME\""; do
  i=$((i + 1))
  [ $i -lt 30 ] || { echo "kiln-demo does not answer: $body" >&2; systemctl status kiln-demo >&2 || true; exit 1; }
  sleep 1
done
echo "kiln-demo answers: $(echo "$body" | tail -1)"

# An immutable server: the root file system is mounted read-only, what must be written at run
# time lives in memory (/tmp, /var/tmp, the journal under /run), and the SSH host key the
# hypervisor hands over goes to /run. The boot-time key generator of the base image would
# write to /etc: kiln-hostkey does its job under /run instead.
cat >/etc/fstab <<'END'
LABEL=kiln-root / ext4 ro,errors=remount-ro 0 0
tmpfs /tmp tmpfs mode=1777,nosuid,nodev,size=128m 0 0
tmpfs /var/tmp tmpfs mode=1777,nosuid,nodev,size=32m 0 0
END
sed -i 's#^HostKey .*#HostKey /run/kiln-ssh/ssh_host_ed25519_key#' /etc/ssh/sshd_config.d/kiln.conf
systemctl disable -q kiln-ssh-keygen.service 2>/dev/null || true

# The newest kernel installed, its initrd, and how to find this root file system.
mkdir -p /tmp/kiln-boot
kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -1)
cp "$kernel" /tmp/kiln-boot/vmlinuz
cp "/boot/initrd.img-${kernel#/boot/vmlinuz-}" /tmp/kiln-boot/initrd.img
# no_timer_check: see the template (TCG on a loaded host).
echo "console=ttyS0 root=UUID=$(findmnt -no UUID /) ro no_timer_check" >/tmp/kiln-boot/kernel-cmdline

#!/bin/sh
# Runs in the build VM (Packer's shell provisioner): installs the demo service and the
# host-key unit, records the image's name, checks that the service answers, and puts the
# kernel, initrd and kernel command line in /tmp/kiln-boot for Packer to download.
set -eu
: "${IMAGE_NAME:?}" "${APP_VERSION:?}"

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

# The newest kernel installed, its initrd, and how to find this root file system.
mkdir -p /tmp/kiln-boot
kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -1)
cp "$kernel" /tmp/kiln-boot/vmlinuz
cp "/boot/initrd.img-${kernel#/boot/vmlinuz-}" /tmp/kiln-boot/initrd.img
echo "console=ttyS0 root=UUID=$(findmnt -no UUID /) rw" >/tmp/kiln-boot/kernel-cmdline

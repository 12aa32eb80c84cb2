# kiln's local example: bakes the demo web service into a Debian image with the qemu builder.
# The base image (base/build.sh) boots with its own kernel; the template installs the service
# and the host-key unit, then saves the image's kernel, initrd and kernel command line next
# to the disk so that the deployed VMs boot exactly what was baked (they are part of the
# image kiln imports: the output directory holds disk.qcow2, initrd.img, kernel-cmdline and
# vmlinuz, disk first).
packer {
  required_version = ">= 1.9.4"
}

locals {
  base_dir    = var.base_dir != "" ? var.base_dir : "${path.root}/../.build/base"
  ssh_key     = var.ssh_private_key_file != "" ? var.ssh_private_key_file : "${path.root}/../.build/ssh_key"
  app_binary  = var.app_binary != "" ? var.app_binary : "${path.root}/../.build/kiln-demo"
  output_dir  = "${path.root}/output/${var.image_name}"
  direct_boot = fileexists("${local.base_dir}/vmlinuz")
  # base/build.sh writes SHA256SUMS: Packer checks the base disk against it.
  base_checksum = fileexists("${local.base_dir}/SHA256SUMS") ? "file:${local.base_dir}/SHA256SUMS" : "none"
  boot_args = local.direct_boot ? [
    ["-kernel", "${local.base_dir}/vmlinuz"],
    ["-initrd", "${local.base_dir}/initrd.img"],
    # no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail
    # and panic ("IO-APIC + timer doesn't work"); the check is for real hardware.
    ["-append", "${trimspace(file("${local.base_dir}/cmdline"))} no_timer_check"],
    ] : [
    # A Debian cloud image (KILN_DEMO_BASE_IMAGE) boots with its own boot loader and gets
    # root's key from cloud-init's NoCloud source, served by Packer's HTTP server.
    ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
  ]
  ssh_public_key = fileexists("${local.ssh_key}.pub") ? trimspace(file("${local.ssh_key}.pub")) : ""
  cloud_init = local.direct_boot ? {} : {
    "/meta-data" = "instance-id: kiln-bake\n"
    "/user-data" = "#cloud-config\ndisable_root: false\nssh_authorized_keys:\n  - ${local.ssh_public_key}\n"
  }
}

source "qemu" "demo" {
  disk_image        = true
  iso_url           = "${local.base_dir}/disk.qcow2"
  iso_checksum      = local.base_checksum
  use_backing_file  = false
  skip_resize_disk  = true
  format            = "qcow2"
  vm_name           = "disk.qcow2"
  output_directory  = local.output_dir
  disk_interface    = "virtio"
  disk_discard      = "unmap"
  net_device        = "virtio-net"
  accelerator       = var.accelerator
  memory            = var.memory
  cpus              = var.cpus
  headless          = true
  disable_vnc       = true
  http_content      = local.cloud_init
  http_bind_address = "127.0.0.1"
  qemuargs = concat([
    # SSH is forwarded from 127.0.0.1 only (Packer's default listens on every address).
    ["-netdev", "user,id=user.0,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"],
    ["-serial", "file:${local.output_dir}.console.log"],
    ["-vnc", "none"],
  ], local.boot_args)

  communicator         = "ssh"
  ssh_username         = "root"
  ssh_private_key_file = local.ssh_key
  ssh_timeout          = "15m"
  shutdown_command     = "systemctl poweroff"
  shutdown_timeout     = "5m"
}

build {
  sources = ["source.qemu.demo"]

  provisioner "shell" {
    inline = ["mkdir -p /tmp/kiln-files"]
  }

  provisioner "file" {
    source      = local.app_binary
    destination = "/tmp/kiln-demo"
  }

  provisioner "file" {
    source      = "${path.root}/files/"
    destination = "/tmp/kiln-files/"
  }

  provisioner "shell" {
    environment_vars = [
      "IMAGE_NAME=${var.image_name}",
      "IMAGE_FAMILY=${var.image_family}",
      "SOURCE_SHA=${var.source_sha}",
      "APP_VERSION=${var.app_version}",
    ]
    script = "${path.root}/scripts/install.sh"
  }

  # The deployed VMs boot the image's own kernel: keep it with the disk.
  provisioner "file" {
    direction   = "download"
    source      = "/tmp/kiln-boot/vmlinuz"
    destination = "${local.output_dir}/vmlinuz"
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/kiln-boot/initrd.img"
    destination = "${local.output_dir}/initrd.img"
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/kiln-boot/kernel-cmdline"
    destination = "${local.output_dir}/kernel-cmdline"
  }

  provisioner "shell" {
    script = "${path.root}/scripts/cleanup.sh"
  }
}

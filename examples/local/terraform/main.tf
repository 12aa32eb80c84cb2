# kiln's local example: N QEMU VMs from one image, with Terraform's built-in terraform_data
# resource and local-exec provisioners (no provider to download). Each VM boots from a
# copy-on-write overlay backed by the image file, so the image is never written; its SSH and
# HTTP ports are forwarded to 127.0.0.1. The workspace (dev, prod) keeps each environment's
# VMs apart: their files live in .run/<workspace>/vm-<slot>-<i>/ beside this file, and their
# ports come from base_port, which kiln.yaml sets per environment.
#
# Two slots, blue and green, each vm_count VMs, and with lb_port an HAProxy in front of
# them: the contract of kiln's blue-green and canary strategies (docs/strategies.md). kiln
# sets live_slot, image_blue, image_green and weight_green; this configuration owns the
# slots and the load balancer and exposes live_slot, slot_images, slot_outputs and
# stats_url. Without the slot variables (kiln-deploy-dev, a replace promotion) image_id
# runs alone in blue, as dev does.
#
# Everything needed to stop a VM or the load balancer is in the resource's input, so
# `terraform destroy` works from the state alone (destroy-time provisioners may only read
# self).
terraform {
  required_version = ">= 1.4.0"
}

locals {
  # Relative to this directory, where kiln (and terraform -chdir) run Terraform: the state
  # stays valid if the checkout moves.
  run_dir = var.run_dir != "" ? var.run_dir : ".run/${terraform.workspace}"
  # A host reboot ends every VM: a new boot id replaces them on the next apply.
  host_boot_id = trimspace(file("/proc/sys/kernel/random/boot_id"))
  images       = { blue = var.image_blue == null ? var.image_id : var.image_blue, green = var.image_green }
  # Blue's VMs take the ports from base_port, green's the next 2 x vm_count.
  slot_base = { blue = var.base_port, green = var.base_port + 2 * var.vm_count }
  # Every VM either slot may run, by "<slot>-<i>"; only those of a slot with an image run.
  all_vms = merge([for slot in ["blue", "green"] : {
    for i in range(var.vm_count) : "${slot}-${i}" => {
      name         = "kiln-${terraform.workspace}-${slot}-${i}"
      slot         = slot
      dir          = "${local.run_dir}/vm-${slot}-${i}"
      image_id     = local.images[slot]
      ssh_port     = local.slot_base[slot] + 2 * i
      http_port    = local.slot_base[slot] + 2 * i + 1
      accelerator  = var.accelerator
      memory       = var.memory
      cpus         = var.cpus
      boot_timeout = var.boot_timeout
      ssh          = var.ssh
      stop_timeout = var.stop_timeout
      host_boot_id = local.host_boot_id
    }
  }]...)
  vms = { for key, vm in local.all_vms : key => vm if vm.image_id != "" }
  # What HAProxy gives each slot's VMs: the slot's share, nothing for a slot without an image.
  weights = {
    blue  = local.images.blue == "" ? 0 : 100 - var.weight_green
    green = local.images.green == "" ? 0 : var.weight_green
  }
}

# A VM: one QEMU process running its slot's image. A new image replaces it; a slot whose
# image does not change is left alone.
resource "terraform_data" "vm" {
  for_each         = local.vms
  input            = each.value
  triggers_replace = each.value

  provisioner "local-exec" {
    command = "bash scripts/vm.sh up"
    environment = {
      VM_NAME         = self.input.name
      VM_DIR          = self.input.dir
      VM_IMAGE_ID     = self.input.image_id
      VM_SSH_PORT     = self.input.ssh_port
      VM_HTTP_PORT    = self.input.http_port
      VM_ACCEL        = self.input.accelerator
      VM_MEMORY       = self.input.memory
      VM_CPUS         = self.input.cpus
      VM_BOOT_TIMEOUT = self.input.boot_timeout
      VM_SSH          = self.input.ssh ? "1" : "0"
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "bash scripts/vm.sh down"
    environment = {
      VM_NAME         = self.input.name
      VM_DIR          = self.input.dir
      VM_STOP_TIMEOUT = self.input.stop_timeout
    }
  }
}

# The load balancer (lb_port > 0): HAProxy in front of both slots' VMs (haproxy/), which
# changes the weights once the VMs changed.
module "lb" {
  source     = "./haproxy"
  count      = var.lb_port > 0 ? 1 : 0
  dir        = "${local.run_dir}/lb"
  haproxy    = var.haproxy
  port       = var.lb_port
  servers    = [for key, vm in local.all_vms : { name = key, slot = vm.slot, port = vm.http_port }]
  weights    = local.weights
  slots_on   = { for slot, image in local.images : slot => image != "" }
  depends_on = [terraform_data.vm]
}

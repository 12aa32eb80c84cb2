# kiln's local example: N QEMU VMs from one image, with Terraform's built-in terraform_data
# resource and local-exec provisioners (no provider to download). Each VM boots from a
# copy-on-write overlay backed by the image file, so the image is never written; its SSH and
# HTTP ports are forwarded to 127.0.0.1. The workspace (dev, prod) keeps each environment's
# VMs apart: their files live in .run/<workspace>/vm-<i>/ beside this file, and their ports
# come from base_port, which kiln.yaml sets per environment.
#
# Everything needed to stop a VM is in the resource's input, so `terraform destroy` works
# from the state alone (destroy-time provisioners may only read self).
terraform {
  required_version = ">= 1.4.0"
}

locals {
  # Relative to this directory, where kiln (and terraform -chdir) run Terraform: the state
  # stays valid if the checkout moves.
  run_dir = var.run_dir != "" ? var.run_dir : ".run/${terraform.workspace}"
  # A host reboot ends every VM: a new boot id replaces them on the next apply.
  host_boot_id = trimspace(file("/proc/sys/kernel/random/boot_id"))
  vms = [for i in range(var.vm_count) : {
    name         = "kiln-${terraform.workspace}-${i}"
    dir          = "${local.run_dir}/vm-${i}"
    image_id     = var.image_id
    ssh_port     = var.base_port + 2 * i
    http_port    = var.base_port + 2 * i + 1
    accelerator  = var.accelerator
    memory       = var.memory
    cpus         = var.cpus
    boot_timeout = var.boot_timeout
    ssh          = var.ssh
    stop_timeout = var.stop_timeout
    host_boot_id = local.host_boot_id
  }]
}

resource "terraform_data" "vm" {
  count            = var.vm_count
  input            = local.vms[count.index]
  triggers_replace = local.vms[count.index]

  provisioner "local-exec" {
    command = "bash scripts/vm.sh up"
    environment = {
      VM_NAME         = self.input.name
      VM_DIR          = self.input.dir
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

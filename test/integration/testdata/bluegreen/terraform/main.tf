# Two slots (blue, green) of kiln-demo processes behind one HAProxy (the module haproxy/ is
# examples/local/terraform/haproxy, which the test copies in), with Terraform's
# built-in terraform_data resource and local-exec provisioners (no provider to download).
# This is the contract of kiln's blue-green and canary strategies (docs/strategies.md):
# kiln sets live_slot, image_blue, image_green and weight_green; the configuration owns the
# slots and the load balancer, and exposes live_slot, slot_images, slot_outputs and
# stats_url. Without the slot variables (kiln-deploy-dev, a replace promotion) image_id
# runs alone in blue.
#
# Each slot's files live in .run/<workspace>/<slot>/ beside this file, the load balancer's
# in .run/<workspace>/lb/. Ports: base_port (blue), +1 (green), +2 (HAProxy's frontend),
# +3 (its statistics page), +4 (its runtime API).
terraform {
  required_version = ">= 1.4.0"
}

locals {
  run_dir = ".run/${terraform.workspace}"
  images  = { blue = var.image_blue == null ? var.image_id : var.image_blue, green = var.image_green }
  ports   = { blue = var.base_port, green = var.base_port + 1 }
  # What HAProxy gives each slot: its share, or nothing for a slot without an image.
  weights = {
    blue  = local.images.blue == "" ? 0 : 100 - var.weight_green
    green = local.images.green == "" ? 0 : var.weight_green
  }
}

# A slot: one kiln-demo process running the slot's image. A new image replaces it.
resource "terraform_data" "slot" {
  for_each = { for slot, image in local.images : slot => image if image != "" }
  input = {
    dir      = "${local.run_dir}/${each.key}"
    image    = each.value
    port     = local.ports[each.key]
    demo_bin = var.demo_bin
  }
  triggers_replace = {
    dir      = "${local.run_dir}/${each.key}"
    image    = each.value
    port     = local.ports[each.key]
    demo_bin = var.demo_bin
  }

  provisioner "local-exec" {
    command = "bash scripts/slot.sh up"
    environment = {
      SLOT_DIR   = self.input.dir
      SLOT_IMAGE = self.input.image
      SLOT_PORT  = self.input.port
      DEMO_BIN   = self.input.demo_bin
      WORKSPACE  = terraform.workspace
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "bash scripts/slot.sh down"
    environment = {
      SLOT_DIR = self.input.dir
    }
  }
}

# The load balancer: examples/local/terraform/haproxy (the test copies it in as haproxy/),
# one HAProxy process with a server per slot, named after it.
module "lb" {
  source         = "./haproxy"
  count          = var.load_balancer ? 1 : 0
  dir            = "${local.run_dir}/lb"
  haproxy        = var.haproxy
  port           = var.base_port + 2
  servers        = [for slot, port in local.ports : { name = slot, slot = slot, port = port }]
  weights        = local.weights
  slots_on       = { for slot, image in local.images : slot => image != "" }
  check_interval = "300ms"
  depends_on     = [terraform_data.slot]
}

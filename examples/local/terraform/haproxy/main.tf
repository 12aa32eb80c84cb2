# One HAProxy process on 127.0.0.1 in front of a blue and a green slot, for kiln's
# blue-green and canary strategies (docs/strategies.md): the local example's load balancer,
# and the test fixture's (test/integration/testdata/bluegreen copies this directory in).
# It serves on port, its statistics on port+1 (/stats;csv), its runtime API on port+2.
#
# Weights and maintenance states change through the runtime API once the slots changed
# (lb.sh weights), never with a reload: no connection is dropped and the statistics keep
# counting. Call it with depends_on the slots' resources, so that a slot is up before it
# gets traffic.
terraform {
  required_version = ">= 1.4.0"
}

locals {
  lb = {
    dir      = var.dir
    haproxy  = var.haproxy
    frontend = var.port
    stats    = var.port + 1
    admin    = var.port + 2
  }
  config = templatefile("${path.module}/haproxy.cfg.tftpl", {
    frontend       = local.lb.frontend
    stats          = local.lb.stats
    admin          = local.lb.admin
    check_interval = var.check_interval
    servers        = [for s in var.servers : merge(s, { weight = var.weights[s.slot], on = var.slots_on[s.slot] })]
  })
  script = "${path.module}/lb.sh"
}

# The process, started with the configuration of the moment.
resource "terraform_data" "lb" {
  input            = merge(local.lb, { script = local.script })
  triggers_replace = local.lb

  provisioner "local-exec" {
    command = "bash ${self.input.script} up"
    environment = {
      LB_DIR     = self.input.dir
      LB_HAPROXY = self.input.haproxy
      LB_CONFIG  = local.config
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "bash ${self.input.script} down"
    environment = {
      LB_DIR = self.input.dir
    }
  }
}

# The slots' weights and states. The configuration file is rewritten too, so that a
# restarted HAProxy comes back the same.
resource "terraform_data" "weights" {
  triggers_replace = {
    lb      = terraform_data.lb.id
    weights = var.weights
    slots   = var.slots_on
  }

  provisioner "local-exec" {
    command = "bash ${local.script} weights"
    environment = {
      LB_DIR        = local.lb.dir
      LB_ADMIN      = local.lb.admin
      LB_CONFIG     = local.config
      WEIGHT_BLUE   = var.weights.blue
      WEIGHT_GREEN  = var.weights.green
      BLUE_ON       = var.slots_on.blue ? "1" : "0"
      GREEN_ON      = var.slots_on.green ? "1" : "0"
      SERVERS_BLUE  = join(" ", [for s in var.servers : s.name if s.slot == "blue"])
      SERVERS_GREEN = join(" ", [for s in var.servers : s.name if s.slot == "green"])
    }
  }
}

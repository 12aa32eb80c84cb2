# What clients use: the load balancer's frontend, or the live slot without one.
output "address" {
  value = var.load_balancer ? module.lb[0].address : "127.0.0.1:${local.ports[var.live_slot]}"
}

# The strategy contract (docs/strategies.md).
output "live_slot" {
  value = local.images[var.live_slot] != "" ? var.live_slot : ""
}

output "slot_images" {
  value = local.images
}

output "slot_outputs" {
  value = { for slot, port in local.ports : slot => { address = "127.0.0.1:${port}" } }
}

output "stats_url" {
  value = var.load_balancer ? module.lb[0].stats_url : null
}

output "stats_backend" {
  value = "app"
}

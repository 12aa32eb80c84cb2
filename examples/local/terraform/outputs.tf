# The checks in kiln.yaml read these. The host keys are the public halves of the keys
# scripts/vm.sh generated and handed to each VM before it booted: pin them. "The VMs" are
# the live slot's.
locals {
  live = [for key, vm in terraform_data.vm : vm.output if vm.output.slot == var.live_slot]
  # "ssh-ed25519 AAAA..." without the comment; empty while a VM's file is missing.
  host_keys = { for key, vm in terraform_data.vm : key => (fileexists("${vm.output.dir}/ssh_host_ed25519_key.pub") ?
  join(" ", slice(split(" ", trimspace(file("${vm.output.dir}/ssh_host_ed25519_key.pub"))), 0, 2)) : "") }
  live_keys = [for key, vm in terraform_data.vm : local.host_keys[key] if vm.output.slot == var.live_slot]
  # Per slot, what the checks of a new slot read: its first VM.
  slot_outputs = { for slot in ["blue", "green"] : slot => {
    address      = "127.0.0.1:${local.slot_base[slot] + 1}"
    ssh_address  = "127.0.0.1:${local.slot_base[slot]}"
    ssh_host_key = try(local.host_keys["${slot}-0"], "")
    addresses    = [for i in range(var.vm_count) : "127.0.0.1:${local.slot_base[slot] + 2 * i + 1}"]
  } }
}

output "addresses" {
  description = "host:port of each of the live slot's VMs' demo service."
  value       = [for vm in local.live : "127.0.0.1:${vm.http_port}"]
}

output "address" {
  description = "host:port of the demo service: the load balancer's, else the live slot's first VM."
  value       = var.lb_port > 0 ? module.lb[0].address : (length(local.live) > 0 ? "127.0.0.1:${local.live[0].http_port}" : "")
}

output "ssh_addresses" {
  description = "host:port of each of the live slot's VMs' SSH server."
  value       = [for vm in local.live : "127.0.0.1:${vm.ssh_port}"]
}

output "ssh_address" {
  description = "host:port of the live slot's first VM's SSH server."
  value       = length(local.live) > 0 ? "127.0.0.1:${local.live[0].ssh_port}" : ""
}

output "ssh_host_keys" {
  description = "Each of the live slot's VMs' SSH host key, authorized_keys format."
  value       = local.live_keys
}

output "ssh_host_key" {
  description = "The live slot's first VM's SSH host key, authorized_keys format."
  value       = length(local.live_keys) > 0 ? local.live_keys[0] : ""
}

output "vm_dirs" {
  description = "Each running VM's directory (overlay, pid file, console log), relative to this directory."
  value       = [for vm in terraform_data.vm : vm.output.dir]
}

output "image_id" {
  description = "The image the live slot runs."
  value       = local.images[var.live_slot]
}

# The strategy contract (docs/strategies.md).
output "live_slot" {
  description = "The slot that serves, \"\" when it runs no image."
  value       = local.images[var.live_slot] != "" ? var.live_slot : ""
}

output "slot_images" {
  description = "Each slot's image, \"\" for none."
  value       = local.images
}

output "slot_outputs" {
  description = "Per slot, the outputs a new slot's checks are rendered with (its first VM)."
  value       = local.slot_outputs
}

output "stats_url" {
  description = "HAProxy's statistics, CSV; null without a load balancer."
  value       = var.lb_port > 0 ? module.lb[0].stats_url : null
}

output "stats_backend" {
  description = "The backend whose servers are the slots' VMs (blue-0, green-1, ...)."
  value       = "app"
}

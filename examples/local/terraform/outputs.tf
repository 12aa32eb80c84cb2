# The checks in kiln.yaml read these. The host keys are the public halves of the keys
# scripts/vm.sh generated and handed to each VM before it booted: pin them.
locals {
  host_key_files = [for vm in terraform_data.vm : "${vm.output.dir}/ssh_host_ed25519_key.pub"]
  # "ssh-ed25519 AAAA..." without the comment; empty while a VM's file is missing.
  host_keys = [for f in local.host_key_files :
    fileexists(f) ? join(" ", slice(split(" ", trimspace(file(f))), 0, 2)) : ""
  ]
}

output "addresses" {
  description = "host:port of each VM's demo service."
  value       = [for vm in terraform_data.vm : "127.0.0.1:${vm.output.http_port}"]
}

output "address" {
  description = "host:port of the first VM's demo service."
  value       = length(terraform_data.vm) > 0 ? "127.0.0.1:${terraform_data.vm[0].output.http_port}" : ""
}

output "ssh_addresses" {
  description = "host:port of each VM's SSH server."
  value       = [for vm in terraform_data.vm : "127.0.0.1:${vm.output.ssh_port}"]
}

output "ssh_address" {
  description = "host:port of the first VM's SSH server."
  value       = length(terraform_data.vm) > 0 ? "127.0.0.1:${terraform_data.vm[0].output.ssh_port}" : ""
}

output "ssh_host_keys" {
  description = "Each VM's SSH host key, authorized_keys format."
  value       = local.host_keys
}

output "ssh_host_key" {
  description = "The first VM's SSH host key, authorized_keys format."
  value       = length(local.host_keys) > 0 ? local.host_keys[0] : ""
}

output "vm_dirs" {
  description = "Each VM's directory (overlay, pid file, console log), relative to this directory."
  value       = [for vm in terraform_data.vm : vm.output.dir]
}

output "image_id" {
  description = "The image the VMs run."
  value       = var.image_id
}

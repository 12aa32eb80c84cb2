output "address" {
  description = "The load balancer's address; kiln-test's checks reach the service there."
  value       = google_compute_global_address.web.address
}

output "image_id" {
  value = var.image_id
}

output "instance_group" {
  value = google_compute_region_instance_group_manager.web.instance_group
}

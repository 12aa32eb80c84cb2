output "address" {
  description = "The load balancer's address; kiln-test's checks reach the service there."
  value       = google_compute_global_address.web.address
}

output "image_id" {
  value = var.image_id
}

output "instance_groups" {
  description = "Each running slot's managed instance group."
  value       = { for slot, g in google_compute_region_instance_group_manager.web : slot => g.instance_group }
}

# The strategy contract (docs/strategies.md).
output "live_slot" {
  value = local.images[var.live_slot] != "" ? var.live_slot : ""
}

output "slot_images" {
  value = local.images
}

output "slot_outputs" {
  description = "Per slot, the outputs kiln's checks of that slot are rendered with: its own frontend."
  value       = { for slot, a in google_compute_global_address.slot : slot => { address = a.address } }
}

# No stats_url: kiln reads HAProxy's statistics only. A slot's health on Google Cloud is
# Cloud Monitoring's loadbalancing.googleapis.com/https/request_count (by response_code_class)
# and https/backend_latencies for the slot's backend service; kiln does not read them yet
# (docs/strategies.md, "Cloud mappings").
output "slot_metrics" {
  description = "Per slot, the Cloud Monitoring labels of its backend service behind the URL map."
  value = { for slot, b in google_compute_backend_service.slot : slot => {
    url_map_name         = google_compute_url_map.web.name
    backend_service_name = b.name
  } }
}

resource "google_compute_firewall" "web" {
  name          = "${var.name}-http"
  network       = "default"
  source_ranges = ["130.211.0.0/22", "35.191.0.0/16"] # Google's load balancers and health checks
  target_tags   = ["${var.name}-web"]

  allow {
    protocol = "tcp"
    ports    = ["80"]
  }
}

# One backend service per slot; both always exist, so the URL map can weigh them. A slot
# without servers has no backend.
resource "google_compute_backend_service" "slot" {
  for_each              = toset(["blue", "green"])
  name                  = "${var.name}-${each.key}"
  protocol              = "HTTP"
  port_name             = "http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  health_checks         = [google_compute_health_check.web.id]
  # Connections to a slot that lost its weight finish within this delay.
  connection_draining_timeout_sec = 30

  dynamic "backend" {
    for_each = contains(keys(local.slots), each.key) ? [google_compute_region_instance_group_manager.web[each.key].instance_group] : []
    content {
      group = backend.value
    }
  }
}

# What clients use: both slots, weighted (live_slot alone at 100 outside a promotion).
resource "google_compute_url_map" "web" {
  name = var.name

  default_route_action {
    dynamic "weighted_backend_services" {
      for_each = google_compute_backend_service.slot
      content {
        backend_service = weighted_backend_services.value.id
        weight          = local.weights[weighted_backend_services.key]
      }
    }
  }
}

resource "google_compute_target_http_proxy" "web" {
  name    = var.name
  url_map = google_compute_url_map.web.id
}

resource "google_compute_global_address" "web" {
  name = var.name
}

resource "google_compute_global_forwarding_rule" "web" {
  name                  = var.name
  target                = google_compute_target_http_proxy.web.id
  port_range            = "80"
  ip_address            = google_compute_global_address.web.address
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Each slot on an address of its own, whatever the weights: slot_outputs' address, where
# kiln runs the test checks against a new slot before it takes traffic.
resource "google_compute_url_map" "slot" {
  for_each        = google_compute_backend_service.slot
  name            = "${var.name}-${each.key}"
  default_service = each.value.id
}

resource "google_compute_target_http_proxy" "slot" {
  for_each = google_compute_url_map.slot
  name     = "${var.name}-${each.key}"
  url_map  = each.value.id
}

resource "google_compute_global_address" "slot" {
  for_each = google_compute_url_map.slot
  name     = "${var.name}-${each.key}"
}

resource "google_compute_global_forwarding_rule" "slot" {
  for_each              = google_compute_target_http_proxy.slot
  name                  = "${var.name}-${each.key}"
  target                = each.value.id
  port_range            = "80"
  ip_address            = google_compute_global_address.slot[each.key].address
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

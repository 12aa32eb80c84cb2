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

resource "google_compute_backend_service" "web" {
  name                  = var.name
  protocol              = "HTTP"
  port_name             = "http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  health_checks         = [google_compute_health_check.web.id]

  backend {
    group = google_compute_region_instance_group_manager.web.instance_group
  }
}

resource "google_compute_url_map" "web" {
  name            = var.name
  default_service = google_compute_backend_service.web.id
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

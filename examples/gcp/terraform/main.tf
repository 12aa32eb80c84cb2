# Runs the image kiln deploys as a regional managed instance group behind a global HTTP
# load balancer. kiln passes the exact image name in var.image_id; a new image replaces the
# instance template (create_before_destroy), and the group rolls its instances over
# proactively, surging new ones before it removes old ones.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
  # kiln.yaml's backend_config fills in the bucket and prefix; each environment is a
  # workspace.
  backend "gcs" {}
}

provider "google" {
  project = var.project
  region  = var.region
}

resource "google_compute_instance_template" "web" {
  name_prefix  = "${var.name}-"
  machine_type = var.machine_type
  tags         = ["${var.name}-web"]
  labels = {
    kiln-image = var.image_id
  }

  disk {
    source_image = "projects/${var.image_project}/global/images/${var.image_id}"
    boot         = true
    auto_delete  = true
  }

  network_interface {
    network = "default"
  }

  # kiln-rotate keeps every image an instance template names: replacing the template
  # (rather than keeping old ones) lets old images retire.
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_health_check" "web" {
  name = "${var.name}-healthz"
  http_health_check {
    port         = 80
    request_path = "/healthz"
  }
}

resource "google_compute_region_instance_group_manager" "web" {
  name               = var.name
  base_instance_name = var.name
  region             = var.region
  target_size        = var.size

  version {
    instance_template = google_compute_instance_template.web.self_link_unique
  }

  named_port {
    name = "http"
    port = 80
  }

  auto_healing_policies {
    health_check      = google_compute_health_check.web.id
    initial_delay_sec = 120
  }

  update_policy {
    type                         = "PROACTIVE"
    minimal_action               = "REPLACE"
    max_surge_fixed              = 3
    max_unavailable_fixed        = 0
    instance_redistribution_type = "PROACTIVE"
  }
}

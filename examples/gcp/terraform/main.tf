# Runs the image kiln deploys as regional managed instance groups behind a global HTTP
# load balancer. kiln passes the exact image name in var.image_id.
#
# The service has two slots, blue and green, each its own instance template, managed
# instance group and backend service; the load balancer's URL map sends traffic to both
# backend services with weights. This is the contract of kiln's blue-green and canary
# strategies (docs/strategies.md): kiln-promote sets live_slot, image_blue, image_green and
# weight_green, and reads back live_slot, slot_images and slot_outputs. Without those
# variables (kiln-deploy-dev, a replace promotion) image_id runs alone in blue, and a new
# image replaces blue's instance template (create_before_destroy): the group rolls its
# instances over proactively, surging new ones before it removes old ones.
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

locals {
  # Each slot's image: "" means the slot has no servers.
  images = { blue = var.image_blue == null ? var.image_id : var.image_blue, green = var.image_green }
  slots  = { for slot, image in local.images : slot => image if image != "" }
  # The URL map's weights: a slot without servers gets nothing, whatever weight_green says.
  weights = {
    blue  = local.images.blue == "" ? 0 : 100 - var.weight_green
    green = local.images.green == "" ? 0 : var.weight_green
  }
}

resource "google_compute_instance_template" "web" {
  for_each     = local.slots
  name_prefix  = "${var.name}-${each.key}-"
  machine_type = var.machine_type
  tags         = ["${var.name}-web"]
  labels = {
    kiln-image = each.value
    kiln-slot  = each.key
  }

  disk {
    source_image = "projects/${var.image_project}/global/images/${each.value}"
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

# A slot's servers. A slot whose image does not change is not touched by an apply; a slot
# whose image becomes "" is removed (after kiln moved its traffic away).
resource "google_compute_region_instance_group_manager" "web" {
  for_each           = local.slots
  name               = "${var.name}-${each.key}"
  base_instance_name = "${var.name}-${each.key}"
  region             = var.region
  target_size        = var.size
  # The apply returns once the slot's instances run the slot's template and are healthy,
  # so kiln's checks of a new slot start against servers that are up.
  wait_for_instances        = true
  wait_for_instances_status = "UPDATED"

  version {
    instance_template = google_compute_instance_template.web[each.key].self_link_unique
  }

  named_port {
    name = "http"
    port = 80
  }

  auto_healing_policies {
    health_check      = google_compute_health_check.web.id
    initial_delay_sec = 120
  }

  # A new template within a slot (a replace promotion) rolls the group over, surging new
  # instances before removing old ones.
  update_policy {
    type                         = "PROACTIVE"
    minimal_action               = "REPLACE"
    max_surge_fixed              = 3
    max_unavailable_fixed        = 0
    instance_redistribution_type = "PROACTIVE"
  }
}

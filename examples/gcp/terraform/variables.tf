variable "image_id" {
  type        = string
  description = "The image kiln deploys: its name in image_project (kiln-deploy-dev, kiln-promote, kiln-rollback set it); it runs in blue when image_blue is not set."

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.image_id))
    error_message = "The image_id must be a Compute Engine image name."
  }
}

variable "name" {
  type        = string
  description = "A name for the environment's resources: web-dev, web-prod."
}

variable "project" {
  type        = string
  description = "The project the environment runs in."
}

variable "image_project" {
  type        = string
  description = "The project that holds the images (registry.project in kiln.yaml)."
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "machine_type" {
  type    = string
  default = "e2-small"
}

variable "size" {
  type    = number
  default = 2
}

# The slot variables of kiln's blue-green and canary strategies (docs/strategies.md).
variable "live_slot" {
  type        = string
  default     = "blue"
  description = "The slot that serves (kiln's strategies set it)."
  validation {
    condition     = contains(["blue", "green"], var.live_slot)
    error_message = "The live_slot must be blue or green."
  }
}

variable "image_blue" {
  type        = string
  default     = null
  description = "The blue slot's image name, \"\" for none; null: image_id."
}

variable "image_green" {
  type        = string
  default     = ""
  description = "The green slot's image name, \"\" for none."
}

variable "weight_green" {
  type        = number
  default     = 0
  description = "The green slot's share of traffic, 0..100; blue gets the rest."
  validation {
    condition     = var.weight_green >= 0 && var.weight_green <= 100
    error_message = "The weight_green must be between 0 and 100."
  }
}

variable "image_id" {
  type        = string
  description = "The image kiln deploys: its name in image_project (kiln-deploy-dev, kiln-promote, kiln-rollback set it)."

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

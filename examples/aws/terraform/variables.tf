variable "image_id" {
  type        = string
  description = "The image kiln deploys: region:ami-id (kiln-deploy-dev, kiln-promote, kiln-rollback set it); it runs in blue when image_blue is not set."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+-[0-9]+:ami-[0-9a-f]+$", var.image_id))
    error_message = "The image_id must be region:ami-id, such as eu-west-1:ami-0123456789abcdef0."
  }
}

variable "name" {
  type        = string
  description = "A name for the environment's resources: web-dev, web-prod."
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets in at least two availability zones, for the load balancer and the instances."
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

variable "desired_capacity" {
  type    = number
  default = 2
}

variable "test_cidr_blocks" {
  type        = list(string)
  default     = []
  description = "Who may reach each slot's test listener (ports 8081, 8082): the CI runners that run kiln's checks of a new slot."
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
  description = "The blue slot's image (region:ami-id), \"\" for none; null: image_id."
}

variable "image_green" {
  type        = string
  default     = ""
  description = "The green slot's image (region:ami-id), \"\" for none."
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

variable "image_id" {
  type        = string
  description = "The image kiln deploys or promotes; it runs in blue when image_blue is not set."
}

variable "live_slot" {
  type        = string
  default     = "blue"
  description = "The slot that serves (kiln's strategies set it)."
  validation {
    condition     = contains(["blue", "green"], var.live_slot)
    error_message = "live_slot is blue or green."
  }
}

variable "image_blue" {
  type        = string
  default     = null
  description = "The blue slot's image, \"\" for none; null: image_id."
}

variable "image_green" {
  type        = string
  default     = ""
  description = "The green slot's image, \"\" for none."
}

variable "weight_green" {
  type        = number
  default     = 0
  description = "The green slot's share of traffic, 0..100; blue gets the rest."
  validation {
    condition     = var.weight_green >= 0 && var.weight_green <= 100
    error_message = "weight_green is between 0 and 100."
  }
}

variable "base_port" {
  type = number
}

variable "demo_bin" {
  type        = string
  description = "The kiln-demo binary each slot runs."
}

variable "load_balancer" {
  type    = bool
  default = true
}

variable "haproxy" {
  type    = string
  default = "haproxy"
}

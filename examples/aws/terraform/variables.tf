variable "image_id" {
  type        = string
  description = "The image kiln deploys: region:ami-id (kiln-deploy-dev, kiln-promote, kiln-rollback set it)."

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

# kiln's own variables: kiln-bake sets them (PKR_VAR_image_name, ...).
variable "image_name" {
  type        = string
  description = "The image's name, rendered by kiln from image.name in kiln.yaml."
}

variable "image_family" {
  type        = string
  description = "The image family (image.family in kiln.yaml)."
}

variable "source_sha" {
  type        = string
  default     = ""
  description = "The source commit the image is baked from."
}

variable "base_image" {
  type        = string
  description = "The Debian AMI name to start from (image.base in kiln.yaml)."
}

# The example's variables (packer.vars in kiln.yaml).
variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

variable "app_version" {
  type    = string
  default = "dev"
}

# The run's owner labels (kiln-host, kiln-run, kiln-step, kiln-created, kiln-expires, ...):
# kiln-bake sets PKR_VAR_kiln_labels; on the build VM they let kiln-sweep find it if the
# build is killed.
variable "kiln_labels" {
  type    = map(string)
  default = {}
}

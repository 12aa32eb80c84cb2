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

# The example's variables.
variable "app_version" {
  type        = string
  default     = "dev"
  description = "The demo service's version (packer.vars in kiln.yaml); the binary reports it."
}

variable "base_dir" {
  type        = string
  default     = env("KILN_DEMO_BASE_DIR")
  description = "The base image's directory, as base/build.sh prints it: disk.qcow2, and for direct kernel boot vmlinuz, initrd.img and cmdline."
}

variable "ssh_private_key_file" {
  type        = string
  default     = env("KILN_DEMO_SSH_KEY")
  description = "The private key whose public half the base image authorizes for root."
}

variable "app_binary" {
  type        = string
  default     = env("KILN_DEMO_APP")
  description = "The demo service binary (static linux/amd64); default ../.build/kiln-demo."
}

variable "accelerator" {
  type        = string
  default     = "tcg"
  description = "QEMU accelerator: tcg works everywhere, kvm when /dev/kvm works (scripts/demo.sh probes)."
}

variable "memory" {
  type    = number
  default = 1024
}

variable "cpus" {
  type    = number
  default = 2
}

variable "image_id" {
  type        = string
  description = "The image to run (local:sha256:<hex>); kiln-deploy-dev sets it from the record. Its disk file comes from KILN_IMAGE_PATH, which kiln sets too."
}

variable "vm_count" {
  type        = number
  default     = 1
  description = "How many VMs to run."
  validation {
    condition     = var.vm_count >= 0 && var.vm_count <= 16
    error_message = "vm_count must be between 0 and 16."
  }
}

variable "base_port" {
  type        = number
  description = "VM i forwards SSH from 127.0.0.1:base_port+2i and HTTP from 127.0.0.1:base_port+2i+1; give each environment its own range."
  validation {
    condition     = var.base_port >= 1024 && var.base_port <= 65000
    error_message = "base_port must be between 1024 and 65000."
  }
}

variable "ssh" {
  type        = bool
  default     = true
  description = "Whether the VMs run an SSH server. The image is the same everywhere; prod sets false, which masks the SSH units on the kernel command line (the tests reach dev through SSH, prod only over HTTP)."
}

variable "accelerator" {
  type        = string
  default     = "tcg"
  description = "QEMU accelerator: tcg, or kvm where KVM works."
}

variable "memory" {
  type        = number
  default     = 512
  description = "Memory per VM, in MiB."
}

variable "cpus" {
  type        = number
  default     = 1
  description = "Virtual CPUs per VM."
}

variable "boot_timeout" {
  type        = number
  default     = 600
  description = "Seconds to wait for a VM's SSH server (with its pinned host key) before the apply fails; TCG on a busy host is slow."
}

variable "stop_timeout" {
  type        = number
  default     = 30
  description = "Seconds a VM gets to power off after an ACPI shutdown request before QEMU is terminated."
}

variable "run_dir" {
  type        = string
  default     = ""
  description = "Where the VMs' files go (overlays, host keys, pid files); default .run/<workspace> in this directory."
}

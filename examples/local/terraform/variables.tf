variable "image_id" {
  type        = string
  description = "The image to run (local:sha256:<hex>); kiln-deploy-dev sets it from the record. Its disk file comes from KILN_IMAGE_PATH, which kiln sets too."
}

variable "vm_count" {
  type        = number
  default     = 1
  description = "How many VMs each slot runs."
  validation {
    condition     = var.vm_count >= 0 && var.vm_count <= 16
    error_message = "vm_count must be between 0 and 16."
  }
}

variable "base_port" {
  type        = number
  description = "Blue's VM i forwards SSH from 127.0.0.1:base_port+2i and HTTP from base_port+2i+1, green's VM i from base_port+2(vm_count+i) and the next; give each environment its own range."
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

# kiln's blue-green and canary strategies set these (docs/strategies.md); their defaults run
# image_id alone in blue, which is what kiln-deploy-dev and a replace promotion do.
variable "live_slot" {
  type        = string
  default     = "blue"
  description = "The slot that serves: blue or green."
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

variable "lb_port" {
  type        = number
  default     = 0
  description = "0: no load balancer. Else HAProxy serves the slots on 127.0.0.1:lb_port, its statistics on lb_port+1 and its runtime API on lb_port+2."
  validation {
    condition     = var.lb_port == 0 || (var.lb_port >= 1024 && var.lb_port <= 65000)
    error_message = "lb_port is 0 or between 1024 and 65000."
  }
}

variable "haproxy" {
  type        = string
  default     = "haproxy"
  description = "The haproxy binary: a path, or a name looked up in PATH, then in /usr/sbin."
}

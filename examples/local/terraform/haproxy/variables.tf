variable "dir" {
  type        = string
  description = "Where HAProxy's configuration, pid file and log go (relative to the root module's directory)."
}

variable "haproxy" {
  type        = string
  default     = "haproxy"
  description = "The haproxy binary: a path, or a name looked up in PATH, then in /usr/sbin."
}

variable "port" {
  type        = number
  description = "The frontend's port on 127.0.0.1; the statistics are on port+1, the runtime API on port+2."
}

variable "servers" {
  type        = list(object({ name = string, slot = string, port = number }))
  description = "Every server either slot may have (backend app), with its slot (blue or green) and port on 127.0.0.1."
}

variable "weights" {
  type        = object({ blue = number, green = number })
  description = "Each slot's weight, 0..100, given to each of its servers."
}

variable "slots_on" {
  type        = object({ blue = bool, green = bool })
  description = "Whether each slot runs: a slot that does not is in maintenance."
}

variable "check_interval" {
  type        = string
  default     = "500ms"
  description = "How often HAProxy checks each server's /healthz."
}

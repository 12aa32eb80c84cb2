variable "image_name" {
  type = string
}

variable "image_family" {
  type = string
}

variable "source_sha" {
  type = string
}

variable "app_version" {
  type    = string
  default = "0.0.0"
}

# The share of requests the release answers 500 to (kiln-demo -fail-rate), except /healthz,
# and the workspace it does so in ("" for every one): a release broken only in prod passes
# dev's tests and must fail its checks on prod's idle slot.
variable "fail_rate" {
  type    = string
  default = "0"
}

variable "fail_in" {
  type    = string
  default = ""
}

source "file" "image" {
  content = "image=${var.image_name} app=${var.app_version} sha=${var.source_sha} fail_rate=${var.fail_rate} fail_in=${var.fail_in}\n"
  target  = "output/${var.image_name}.img"
}

build {
  sources = ["source.file.image"]
}

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

source "file" "image" {
  content = "image=${var.image_name} family=${var.image_family} sha=${var.source_sha} app=${var.app_version}\n"
  target  = "output/${var.image_name}.img"
}

build {
  sources = ["source.file.image"]
}

variable "image_id" {
  type = string
}

variable "port" {
  type = number
}

# Stands in for a VM: it holds the image id it was created from.
resource "terraform_data" "vm" {
  input = var.image_id
}

output "image_id" {
  value = terraform_data.vm.output
}

output "address" {
  value = "127.0.0.1:${var.port}"
}

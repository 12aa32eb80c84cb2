# Bakes the web image: Debian with nginx serving /healthz, as a Compute Engine image in the
# image family kiln.yaml names.
#
# kiln pins Packer 1.9.4, which bundles the googlecompute plugin. With Packer 1.10 or later,
# add
#   required_plugins { googlecompute = { source = "github.com/hashicorp/googlecompute", version = "~> 1.1" } }
# to the packer block and let kiln-bake's `packer init` install it.
packer {
  required_version = ">= 1.9.4"
}

source "googlecompute" "web" {
  project_id              = var.project
  zone                    = var.zone
  source_image            = var.base_image
  source_image_project_id = ["debian-cloud"]
  machine_type            = var.machine_type
  disk_size               = 10
  ssh_username            = "packer"

  image_name        = var.image_name
  image_family      = var.image_family
  image_description = "${var.image_name} from commit ${var.source_sha}"
  # The build instance carries the run's owner labels, for kiln-sweep.
  labels = var.kiln_labels
  # kiln-bake adds the full provenance labels after the build.
  image_labels = {
    kiln-family     = var.image_family
    kiln-name       = var.image_name
    kiln-source-sha = var.source_sha
  }
}

build {
  sources = ["source.googlecompute.web"]

  provisioner "shell" {
    inline = [
      "sudo apt-get update -qq",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx",
      "echo ok | sudo tee /var/www/html/healthz >/dev/null",
      "echo '${var.image_name} ${var.app_version}' | sudo tee /var/www/html/version >/dev/null",
      "sudo systemctl enable nginx",
    ]
  }
}

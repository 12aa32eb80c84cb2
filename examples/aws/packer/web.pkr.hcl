# Bakes the web image: Debian with nginx serving /healthz, on an EBS-backed AMI.
#
# kiln pins Packer 1.9.4, which bundles the amazon plugin. With Packer 1.10 or later, add
#   required_plugins { amazon = { source = "github.com/hashicorp/amazon", version = "~> 1.3" } }
# to the packer block and let kiln-bake's `packer init` install it.
packer {
  required_version = ">= 1.9.4"
}

source "amazon-ebs" "web" {
  region        = var.region
  instance_type = var.instance_type
  ami_name      = var.image_name
  ssh_username  = "admin"

  source_ami_filter {
    filters = {
      name                = var.base_image
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = ["136693071363"] # Debian's account
    most_recent = true
  }

  # kiln-bake adds the full provenance tags after the build; these make the AMI findable
  # by family even before that, and record the exact base AMI.
  tags = {
    Name            = var.image_name
    kiln-family     = var.image_family
    kiln-name       = var.image_name
    kiln-source-sha = var.source_sha
    kiln-base-ami   = "{{ .SourceAMI }}"
  }
  # The build instance carries the run's owner labels, for kiln-sweep.
  run_tags = var.kiln_labels
  snapshot_tags = {
    kiln-family = var.image_family
    kiln-name   = var.image_name
  }
}

build {
  sources = ["source.amazon-ebs.web"]

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

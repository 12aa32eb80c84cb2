# The leak-test environment: terraform_data stands in for a VM and holds only the image id
# (so Terraform's state holds no secret); local-exec provisioners print secrets from the
# environment kiln built, and write SHA-256 sums of the sensitive Terraform variables kiln
# passed in its 0600 var file: proof that the values reached Terraform.

variable "image_id" {
  type = string
}

variable "port" {
  type = number
}

variable "db_url" {
  type      = string
  default   = ""
  sensitive = true
}

variable "oauth_json" {
  type      = string
  default   = ""
  sensitive = true
}

variable "ssh_key_file" {
  type    = string
  default = ""
}

resource "terraform_data" "vm" {
  input            = var.image_id
  triggers_replace = [var.image_id] # a new image is a new VM: the provisioners run again

  provisioner "local-exec" {
    command = <<-EOT
      echo "deploying $KILN_IMAGE_ID with password=$APP_PASSWORD inline=x$${APP_INLINE}y aws=$AWS_ACCESS_KEY_ID"
      echo "unicode: $APP_UNICODE pin: $APP_PIN trailing: $APP_TRAILING" >&2
      echo "template: $APP_TEMPLATE"
      if [ -n "$KILN_TEST_FAIL" ]; then
        echo "failing on purpose: $APP_PASSWORD $APP_OAUTH"
        echo "failing on purpose with the passphrase: $APP_PASSPHRASE"
        exit 1
      fi
    EOT
  }

  # Sensitive values in the environment: Terraform suppresses this provisioner's output.
  provisioner "local-exec" {
    environment = {
      DB_URL   = var.db_url
      OAUTH    = var.oauth_json
      KEY_FILE = var.ssh_key_file
    }
    command = <<-EOT
      {
        printf 'db_url_sha256=%s\n' "$(printf '%s' "$DB_URL" | sha256sum | cut -d' ' -f1)"
        printf 'oauth_sha256=%s\n' "$(printf '%s' "$OAUTH" | sha256sum | cut -d' ' -f1)"
        printf 'key_sha256=%s\n' "$(sha256sum < "$KEY_FILE" | cut -d' ' -f1)"
      } > "${path.module}/proof-${terraform.workspace}.txt"
      echo "db: $DB_URL"
    EOT
  }

  provisioner "local-exec" {
    when    = destroy
    command = <<-EOT
      echo "destroying with password=$APP_PASSWORD key: $SSH_KEY_PEM"
      if [ -n "$KILN_TEST_FAIL" ]; then echo "failing on purpose: $APP_PASSWORD" >&2; exit 1; fi
    EOT
  }
}

output "image_id" {
  value = terraform_data.vm.output
}

output "address" {
  value = "127.0.0.1:${var.port}"
}

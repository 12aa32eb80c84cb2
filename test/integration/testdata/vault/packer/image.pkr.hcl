# The leak-test image: Packer's file builder writes the image, a shell-local provisioner
# prints every secret kiln handed over (stdout and stderr, raw and base64) for the redactor
# to catch, and appends SHA-256 sums of secrets to the image: proof that each value reached
# Packer without the value itself being written anywhere.

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

# A Packer variable fed from the environment and marked sensitive.
variable "app_password" {
  type      = string
  default   = env("APP_PASSWORD")
  sensitive = true
}

source "file" "image" {
  content = "image=${var.image_name} family=${var.image_family} sha=${var.source_sha} app=${var.app_version}\npassword_sha256=${sha256(var.app_password)}\n"
  target  = "output/${var.image_name}.img"
}

build {
  sources = ["source.file.image"]

  provisioner "shell-local" {
    inline = [
      "echo \"provisioning with password=$APP_PASSWORD\"",
      "echo \"oauth: $APP_OAUTH\" >&2",
      "echo \"pin=$APP_PIN b64=$APP_B64\"",
      "echo \"trailing=[$APP_TRAILING]\"",
      "echo \"db: $DATABASE_URL\"",
      "echo \"template: $APP_TEMPLATE\"",
      "echo \"passphrase: $APP_PASSPHRASE\"",
      "echo \"unicode: $APP_UNICODE\" >&2",
      "echo \"Authorization:Bearer$${APP_INLINE}x-and-more-text-on-the-same-line\"",
      "echo \"aws: $AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY legacy=$LEGACY_API_KEY\"",
      "echo 'the key file:'; cat \"$SSH_KEY_FILE\"",
      "echo \"pki key: $PKI_PRIVATE_KEY\" >&2",
      "printf '%s' \"$APP_PASSWORD\" | base64",
      "printf '%s' \"$APP_OAUTH\" | base64 -w0; echo",
      "base64 \"$SSH_KEY_FILE\"",
      "printf 'key_sha256=%s\\n' \"$(sha256sum < \"$SSH_KEY_FILE\" | cut -d' ' -f1)\" >> output/${var.image_name}.img",
      "printf 'pki_key_sha256=%s\\n' \"$(printf '%s' \"$PKI_PRIVATE_KEY\" | sha256sum | cut -d' ' -f1)\" >> output/${var.image_name}.img",
      "if [ -n \"$KILN_TEST_SLOW\" ]; then echo started > \"$KILN_TEST_SLOW\"; sleep 300; fi",
      "if [ -n \"$KILN_TEST_FAIL\" ]; then echo \"failing on purpose: $APP_PASSWORD $APP_OAUTH $DATABASE_URL\" >&2; exit 1; fi",
    ]
  }
}

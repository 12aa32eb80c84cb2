# Shared helpers of kiln's local demo scripts (sourced, not run): where the cache and the
# demo's SSH key live, and installing the Debian packages the demo needs.
# shellcheck shell=bash

# demo_cache: kiln's cache directory for the demo (base images, the SSH key).
demo_cache() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/kiln"
}

# demo_key: the private key Packer and the checks log in with as root; generated once.
# KILN_DEMO_SSH_KEY names another key file.
demo_key() {
  local key=${KILN_DEMO_SSH_KEY:-$(demo_cache)/ssh/kiln-demo_ed25519}
  if [ ! -f "$key" ]; then
    mkdir -p "$(dirname "$key")"
    chmod 700 "$(dirname "$key")"
    ssh-keygen -q -t ed25519 -N '' -C kiln-demo -f "$key" >&2
  fi
  echo "$key"
}

# ensure_packages PKG...: installs the Debian packages that are missing (root only), running
# apt-get update once first.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    return 1
  fi
  echo "installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}


# copy_example FROM TO: the example's sources in FROM copied to TO, as a CI runner's checkout
# would hold them: no registry, record, Packer output, Terraform state or VM files of FROM's
# own runs, no .build.
copy_example() {
  mkdir -p "$2"
  tar -C "$1" --exclude=./.build --exclude=./.kiln --exclude=./packer/output \
    --exclude=./terraform/.run --exclude=./terraform/terraform.tfstate.d --exclude=./terraform/.terraform \
    --exclude=./kiln-image.json --exclude=./kiln.env --exclude=./kiln-junit.xml -cf - . | tar -C "$2" -xf -
}

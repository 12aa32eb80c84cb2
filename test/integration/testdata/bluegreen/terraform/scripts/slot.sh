#!/usr/bin/env bash
# Starts or stops one slot: a kiln-demo process serving the slot's image on 127.0.0.1.
#
#   slot.sh up     SLOT_DIR SLOT_IMAGE SLOT_PORT DEMO_BIN WORKSPACE, and KILN_IMAGE_PATH
#                  (the image's file, which kiln hands Terraform for the image it deploys)
#   slot.sh down   SLOT_DIR
#
# The image file decides how the release behaves: "fail_rate=R fail_in=W" makes it answer
# 500 to a share R of its requests (not /healthz) in workspace W, or in every workspace
# when W is empty.
set -euo pipefail

log() { echo "slot $SLOT_DIR: $*" >&2; }

# running prints the pid of the slot's process if it runs (and is kiln-demo).
running() {
  local pid
  pid=$(cat "$SLOT_DIR/pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-image-name-file $SLOT_DIR/image-name" || return 1
  echo "$pid"
}

up() {
  if [ "${KILN_IMAGE_ID:-}" != "$SLOT_IMAGE" ] || [ ! -f "${KILN_IMAGE_PATH:-}" ]; then
    log "no file for image $SLOT_IMAGE (KILN_IMAGE_ID is ${KILN_IMAGE_ID:-unset}): only the image kiln deploys can start a slot"
    return 1
  fi
  local content rate=0 fail_in=""
  content=$(cat "$KILN_IMAGE_PATH")
  [[ $content =~ fail_rate=([0-9.]+) ]] && rate=${BASH_REMATCH[1]}
  [[ $content =~ fail_in=([a-z]+) ]] && fail_in=${BASH_REMATCH[1]}
  [ -z "$fail_in" ] || [ "$fail_in" = "$WORKSPACE" ] || rate=0
  mkdir -p "$SLOT_DIR"
  SLOT_DIR=$(cd "$SLOT_DIR" && pwd)
  if pid=$(running); then
    kill "$pid" 2>/dev/null || true
  fi
  printf '%s\n' "$SLOT_IMAGE" >"$SLOT_DIR/image-name"
  setsid "$DEMO_BIN" -addr "127.0.0.1:$SLOT_PORT" -image-name-file "$SLOT_DIR/image-name" -fail-rate "$rate" \
    </dev/null >>"$SLOT_DIR/log" 2>&1 &
  echo $! >"$SLOT_DIR/pid"
  local i
  for ((i = 0; i < 100; i++)); do
    # bash's /dev/tcp: no HTTP client needed
    # shellcheck disable=SC2016 # $1 is the inner shell's
    if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && grep -q "\"status\":\"ok\"" <&3' \
      _ "$SLOT_PORT" 2>/dev/null; then
      log "serving $SLOT_IMAGE on 127.0.0.1:$SLOT_PORT (fail rate $rate)"
      return 0
    fi
    running >/dev/null || { log "kiln-demo exited: $(tail -3 "$SLOT_DIR/log")"; return 1; }
    sleep 0.1
  done
  log "no answer on 127.0.0.1:$SLOT_PORT after 10s"
  return 1
}

down() {
  local pid i
  if [ -d "$SLOT_DIR" ]; then
    SLOT_DIR=$(cd "$SLOT_DIR" && pwd)
  fi
  pid=$(running) || { log "not running"; return 0; }
  kill -TERM "$pid"
  for ((i = 0; i < 100; i++)); do
    [ -e "/proc/$pid" ] || { log "stopped"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

"$1"

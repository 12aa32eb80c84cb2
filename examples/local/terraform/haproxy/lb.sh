#!/usr/bin/env bash
# Starts, stops or re-weights the load balancer: one HAProxy process on 127.0.0.1.
#
#   lb.sh up        LB_DIR LB_HAPROXY LB_CONFIG (the configuration Terraform rendered)
#   lb.sh down      LB_DIR
#   lb.sh weights   LB_DIR LB_ADMIN LB_CONFIG WEIGHT_BLUE WEIGHT_GREEN BLUE_ON GREEN_ON, and
#                   SERVERS_BLUE, SERVERS_GREEN (each slot's servers in backend app, space
#                   separated; default: one server named after the slot)
#
# LB_HAPROXY is the haproxy binary: a path, or a name looked up in PATH and then in
# /usr/sbin (where Debian's package puts it, off a user's PATH).
#
# Weights change through HAProxy's runtime API (the stats socket on 127.0.0.1:LB_ADMIN),
# never with a reload: established connections stay and the statistics keep counting. A
# slot gains traffic before the other loses it, and a slot without an image goes to
# maintenance only once its weight is 0.
set -euo pipefail

log() { echo "lb $LB_DIR: $*" >&2; }

running() {
  local pid
  pid=$(cat "$LB_DIR/haproxy.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$LB_DIR/haproxy.cfg" || return 1
  echo "$pid"
}

up() {
  mkdir -p "$LB_DIR"
  LB_DIR=$(cd "$LB_DIR" && pwd)
  printf '%s\n' "$LB_CONFIG" >"$LB_DIR/haproxy.cfg"
  if pid=$(running); then
    kill "$pid" 2>/dev/null || true
  fi
  local haproxy=$LB_HAPROXY
  if [[ $haproxy != */* ]]; then
    haproxy=$(command -v "$haproxy" || echo "/usr/sbin/$haproxy")
  fi
  [ -x "$haproxy" ] || { log "no $LB_HAPROXY (apt-get install haproxy)"; return 1; }
  "$haproxy" -c -q -f "$LB_DIR/haproxy.cfg"
  "$haproxy" -D -f "$LB_DIR/haproxy.cfg" -p "$LB_DIR/haproxy.pid" </dev/null >>"$LB_DIR/log" 2>&1
  log "HAProxy $(running) started"
}

down() {
  local pid i
  [ -d "$LB_DIR" ] && LB_DIR=$(cd "$LB_DIR" && pwd)
  pid=$(running) || { log "not running"; return 0; }
  kill -TERM "$pid"
  for ((i = 0; i < 50; i++)); do
    [ -e "/proc/$pid" ] || { log "stopped"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# api sends one line of commands to the runtime API; any answer but blank lines is an error.
api() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$LB_ADMIN"
  printf '%s\n' "$1" >&3
  reply=$(cat <&3)
  exec 3<&-
  if [ -n "${reply//[[:space:]]/}" ]; then
    log "runtime API: $1: $reply"
    return 1
  fi
}

weights() {
  LB_DIR=$(cd "$LB_DIR" && pwd)
  printf '%s\n' "$LB_CONFIG" >"$LB_DIR/haproxy.cfg.new" && mv "$LB_DIR/haproxy.cfg.new" "$LB_DIR/haproxy.cfg"
  local slot on weight servers server first=() then=()
  for slot in blue green; do
    on=$([ "$slot" = blue ] && echo "$BLUE_ON" || echo "$GREEN_ON")
    weight=$([ "$slot" = blue ] && echo "$WEIGHT_BLUE" || echo "$WEIGHT_GREEN")
    servers=$([ "$slot" = blue ] && echo "${SERVERS_BLUE:-blue}" || echo "${SERVERS_GREEN:-green}")
    for server in $servers; do
      if [ "$on" = 1 ] && [ "$weight" -gt 0 ]; then
        first+=("set server app/$server state ready" "set server app/$server weight $weight")
      elif [ "$on" = 1 ]; then
        then+=("set server app/$server weight 0" "set server app/$server state ready")
      else
        then+=("set server app/$server weight 0" "set server app/$server state maint")
      fi
    done
  done
  local cmds=("${first[@]}" "${then[@]}") line
  line=$(printf '%s; ' "${cmds[@]}")
  api "${line%; }"
  log "weights blue $WEIGHT_BLUE, green $WEIGHT_GREEN"
}

"$1"

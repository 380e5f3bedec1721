#!/usr/bin/env bash
# Ensures a Docker engine for deploying the stack on this machine (and for scripts/build-images.sh).
#
#   scripts/docker-engine.sh start    # install docker.io + busybox-static if missing, start dockerd if
#                                     # `docker info` does not answer, wait until it does
#   scripts/docker-engine.sh status   # running? started by this script? (exit 0 running, 3 not)
#   scripts/docker-engine.sh stop     # stop dockerd ONLY if this script started it
#
# A daemon that was already running is used as is and never stopped. The daemon this script starts
# is recorded in $TOOLS_DIR/dockerd.started (its pid); its log is $TOOLS_DIR/logs/dockerd.log.
# Packages (Debian): docker.io (dockerd, containerd, runc, docker CLI), busybox-static (sh/wget for
# the local images). Installing needs root (or password-less sudo); starting dockerd needs root.
#
# Environment:
#   TOOLS_DIR              marker and log location (default <repo>/.tools)
#   DOCKER_START_TIMEOUT   seconds to wait for the daemon to answer (default 60)
set -euo pipefail

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
mkdir -p "$TOOLS_DIR/logs"
MARKER="$TOOLS_DIR/dockerd.started"
LOG="$TOOLS_DIR/logs/dockerd.log"
APT_LOG="$TOOLS_DIR/logs/docker-engine-apt.log"
TIMEOUT="${DOCKER_START_TIMEOUT:-60}"

die() { echo "docker-engine: $*" >&2; exit 1; }
answers() { timeout 10 docker info >/dev/null 2>&1; }
server_version() { timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'; }
# pid recorded by this script, if that process is still a dockerd
our_pid() {
  local pid
  pid="$(cat "$MARKER" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]] && echo "$pid"
}
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else die "needs root for: $* (not root and no password-less sudo)"; fi
}

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null && command -v docker >/dev/null || missing+=(docker.io)
  [[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -qx wget || missing+=(busybox-static)
  [[ ${#missing[@]} -eq 0 ]] && return
  echo "docker-engine: installing ${missing[*]} with apt-get (log: $APT_LOG)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$APT_LOG" 2>&1 ||
    die "apt-get update failed: $(tail -n1 "$APT_LOG") (log: $APT_LOG)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1 ||
    die "apt-get install ${missing[*]} failed: $(tail -n1 "$APT_LOG") (log: $APT_LOG)"
}

start() {
  ensure_packages
  if answers; then
    local how="not started by this script"; [[ -n "$(our_pid)" ]] && how="started by this script, pid $(our_pid)"
    echo "docker-engine: running (server $(server_version), $how)"; return
  fi
  local pid
  pid="$(our_pid || true)"
  if [[ -z "$pid" ]]; then
    if pgrep -x dockerd >/dev/null 2>&1; then
      die "a dockerd (pid $(pgrep -x dockerd | head -n1)) is running but \`docker info\` does not answer; not starting another (check DOCKER_HOST / the socket)"
    fi
    [[ $EUID -eq 0 ]] || die "dockerd must be started as root (run this script as root)"
    : >"$LOG"
    # setsid: the daemon outlives this shell and its job control.
    setsid dockerd >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$MARKER"
    echo "docker-engine: started dockerd (pid $pid, log: $LOG); waiting up to ${TIMEOUT}s"
  fi
  local t0=$SECONDS
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$MARKER"
      die "dockerd exited: $(grep -m1 -iE 'level=(fatal|error)|failed' "$LOG" || tail -n1 "$LOG") (log: $LOG)"
    fi
    if (( SECONDS - t0 >= TIMEOUT )); then
      die "dockerd (pid $pid) did not answer within ${TIMEOUT}s: $(tail -n1 "$LOG") (log: $LOG)"
    fi
    sleep 1
  done
  echo "docker-engine: ready in $((SECONDS - t0))s (server $(server_version), pid $pid)"
}

stop() {
  local pid; pid="$(our_pid || true)"
  if [[ -z "$pid" ]]; then
    rm -f "$MARKER"
    if answers; then echo "docker-engine: running but not started by this script; leaving it alone"
    else echo "docker-engine: not running"; fi
    return
  fi
  kill -TERM "$pid"
  local t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    (( SECONDS - t0 < 30 )) || die "dockerd (pid $pid) still running 30s after SIGTERM (log: $LOG)"
    sleep 1
  done
  rm -f "$MARKER"
  echo "docker-engine: stopped dockerd (pid $pid) in $((SECONDS - t0))s"
}

status() {
  local pid; pid="$(our_pid || true)"
  if answers; then
    if [[ -n "$pid" ]]; then echo "docker-engine: running (server $(server_version), started by this script, pid $pid)"
    else echo "docker-engine: running (server $(server_version), not started by this script)"; fi
    return 0
  fi
  if [[ -n "$pid" ]]; then echo "docker-engine: not answering (dockerd pid $pid started by this script; log: $LOG)"
  else echo "docker-engine: not running"; fi
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

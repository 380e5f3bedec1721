#!/usr/bin/env bash
# Ensures a Docker engine for deploying the stack on this machine (and for scripts/build-images.sh).
#
#   scripts/docker-engine.sh start    # install docker.io + busybox-static if missing, start dockerd if
#                                     # `docker info` does not answer, wait until it does
#   scripts/docker-engine.sh status   # running? started by this script? (exit 0 running, 3 not)
#   scripts/docker-engine.sh stop     # stop dockerd ONLY if this script started it
#
# A daemon that was already running is used as is and never stopped. The daemon is identified by its
# SOCKET and PID FILE, never by process name: other dockerd instances on the machine (on other
# sockets, e.g. the swarm tier's daemons in their network namespaces) are neither used nor stopped
# nor a reason to refuse. The daemon this script starts is recorded in $TOOLS_DIR/dockerd.started
# (its pid and socket); its log is $TOOLS_DIR/logs/dockerd.log.
# Packages (Debian): docker.io (dockerd, containerd, runc, docker CLI), busybox-static (sh/wget for
# the local images). Installing needs root (or password-less sudo); starting dockerd needs root.
#
# Environment:
#   TOOLS_DIR              marker and log location (default <repo>/.tools)
#   DOCKER_HOST            the engine's socket (default unix:///var/run/docker.sock); only unix:// sockets
#   DOCKER_START_TIMEOUT   seconds to wait for the daemon to answer (default 60)
set -euo pipefail

# shellcheck source=lib/tools-dir.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/tools-dir.sh"
mkdir -p "$TOOLS_DIR/logs"
MARKER="$TOOLS_DIR/dockerd.started"
LOG="$TOOLS_DIR/logs/dockerd.log"
APT_LOG="$TOOLS_DIR/logs/docker-engine-apt.log"
TIMEOUT="${DOCKER_START_TIMEOUT:-60}"
DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
[[ "$DOCKER_HOST" == unix://* ]] || { echo "docker-engine: DOCKER_HOST=$DOCKER_HOST: only a local unix:// socket is managed here" >&2; exit 2; }
export DOCKER_HOST
SOCKET="${DOCKER_HOST#unix://}"
# The daemon on the default socket writes the default pid file; any other socket gets its own.
if [[ "$SOCKET" == /var/run/docker.sock || "$SOCKET" == /run/docker.sock ]]; then PIDFILE=/var/run/docker.pid
else PIDFILE="${SOCKET%.sock}.pid"; fi

die() { echo "docker-engine: $*" >&2; exit 1; }
answers() { timeout 10 docker info >/dev/null 2>&1; }
server_version() { timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'; }
# pid recorded by this script for THIS socket, if that process still runs with that socket
our_pid() {
  local pid="" sock=""
  [[ -f "$MARKER" ]] && read -r pid sock <"$MARKER"
  [[ "$pid" =~ ^[0-9]+$ && "$sock" == "$SOCKET" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--host unix://$SOCKET " && echo "$pid"
  return 0
}
# pid of whatever daemon holds this socket's pid file, if that process is alive
pidfile_owner() {
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
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
    local other; other="$(pidfile_owner)"
    if [[ -n "$other" ]]; then
      die "a daemon (pid $other, pid file $PIDFILE) owns $SOCKET but does not answer; not starting another"
    fi
    [[ $EUID -eq 0 ]] || die "dockerd must be started as root (run this script as root)"
    : >"$LOG"
    # setsid: the daemon outlives this shell and its job control. Socket and pid file are named so
    # that this daemon, and only it, is found again by them.
    setsid dockerd --host "unix://$SOCKET" --pidfile "$PIDFILE" >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid $SOCKET" >"$MARKER"
    echo "docker-engine: started dockerd (pid $pid, socket $SOCKET, log: $LOG); waiting up to ${TIMEOUT}s"
  fi
  local t0=$SECONDS
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      forget_stale_marker
      die "dockerd exited: $(grep -m1 -iE 'level=(fatal|error)|failed' "$LOG" || tail -n1 "$LOG") (log: $LOG)"
    fi
    if (( SECONDS - t0 >= TIMEOUT )); then
      die "dockerd (pid $pid) did not answer within ${TIMEOUT}s: $(tail -n1 "$LOG") (log: $LOG)"
    fi
    sleep 1
  done
  echo "docker-engine: ready in $((SECONDS - t0))s (server $(server_version), pid $pid)"
}

# the marker names THIS socket but its daemon is gone: forget it (a marker of another socket stays)
forget_stale_marker() {
  local pid="" sock=""
  [[ -f "$MARKER" ]] && read -r pid sock <"$MARKER"
  if [[ "$sock" == "$SOCKET" ]]; then rm -f "$MARKER"; fi
  return 0
}

stop() {
  local pid; pid="$(our_pid || true)"
  if [[ -z "$pid" ]]; then
    forget_stale_marker
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

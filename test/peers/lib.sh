# shellcheck shell=bash
# Shared helpers for test/peers/*.sh (sourced, not run). Debian 12, loopback only.
# Processes are tracked by PID files in $PEERS_DIR; nothing is ever stopped by name.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
P=${PEERS_DIR:-$REPO/.peers}
mkdir -p "$P"
P=$(cd "$P" && pwd)

log() { printf '[peers] %s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# alive PID: true while the process exists and is not a zombie (reparented daemons are reaped late).
# Reads /proc directly: procps (ps) is not on a fresh Debian image.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_free() { # need_free PORT...: fail fast if something (a stale server?) already listens there
  local p
  for p in "$@"; do
    if port_open "$p"; then
      log "port $p on 127.0.0.1 is already in use (a stale server from an earlier run? see $P/*.pid)"
      return 1
    fi
  done
}

# http_status PORT PATH: the HTTP status code of GET http://127.0.0.1:PORT/PATH, using only bash
# (curl is not on a fresh Debian image). Prints nothing when the connection fails.
http_status() {
  local line
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS= read -r -t 2 line <&3 || exit 1
    line=${line#HTTP/* }
    echo "${line%% *}"
  ) 2>/dev/null
}

# stop_pidfile NAME FILE [CMD]: SIGTERM the PID in FILE, wait up to 15 s, then SIGKILL; remove FILE.
# With CMD, a PID whose command line does not contain CMD is left alone (a stale file, PID reused).
stop_pidfile() {
  local name=$1 f=$2 want=${3:-} pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && alive "$pid"; then
    if [ -n "$want" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want"; then
      log "$name: pid $pid in $f is not $want any more; not touching it"
      rm -f "$f"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "$name stopped (pid $pid)"
  fi
  rm -f "$f"
}

# apt_ensure PKG...: install the Debian packages that are missing (apt-get update only then).
apt_ensure() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    return 1
  fi
  log "installing Debian packages: ${missing[*]}"
  local t0; t0=$(now_ms)
  export DEBIAN_FRONTEND=noninteractive
  # keep apt from starting the packaged daemons with their default configs
  if [ ! -x /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  {
    apt-get -o DPkg::Lock::Timeout=300 update -q &&
      apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
  } >"$P/apt.log" 2>&1 || { log "apt-get failed; $P/apt.log:"; tail -30 "$P/apt.log" >&2; return 1; }
  log "installed ${missing[*]} in $(($(now_ms) - t0)) ms"
}

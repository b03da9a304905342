#!/usr/bin/env bash
# Throwaway PostgreSQL 15 for the tests: 127.0.0.1 only, trust auth, fsync off, database `test`
# (dropped and created again on every start, so each test run begins empty).
# usage: postgres.sh install | start | stop | env (SWITCHBOARD_TEST_PG_URL for the tests)
# env: PEERS_DIR (state, default $REPO/.peers), PG_PORT (default 15432)
# The cluster lives in $PEERS_DIR/pg, owned by the `postgres` user when run as root. If that user
# cannot reach $PEERS_DIR (a checkout under /root, mode 700), it lives in /tmp instead, removed at stop.
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${PG_PORT:-15432}
PIDFILE=$P/postgres.pid

pg_bin() {
  local bin
  # shellcheck disable=SC2012 # version-sorted, the newest PostgreSQL wins
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || return 1
  echo "$bin"
}

install() {
  pg_bin >/dev/null 2>&1 || apt_ensure postgresql
  local bin; bin=$(pg_bin) || { log "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"; exit 1; }
  log "postgres: $("$bin/postgres" --version)"
}

# run as the `postgres` user when root (postgres refuses to run as root). An array, not a function:
# `"${AS_PG[@]}" postgres ... &` must exec postgres itself so that $! is the postgres PID.
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups)

data_dir() {
  local d=$P/pg
  if [ "$(id -u)" = 0 ] && ! "${AS_PG[@]}" test -x "$P" 2>/dev/null; then
    d=${TMPDIR:-/tmp}/switchboard-pg-$(printf '%s' "$P" | md5sum | cut -c1-12)
  fi
  echo "$d"
}

psql_() {
  PGOPTIONS='-c client_min_messages=warning' \
    "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
}

start() {
  BIN=$(pg_bin) || { log "postgresql is not installed: run '$0 install'"; exit 1; }
  local t0 d i; t0=$(now_ms); d=$(data_dir)
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "postgres already running (pid $(cat "$PIDFILE")): run '$0 stop' first"; exit 1
  fi
  need_free "$PORT"
  if [ ! -f "$d/PG_VERSION" ]; then
    rm -rf "$d"; mkdir -p "$d"; chmod 700 "$d"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$d"
    "${AS_PG[@]}" "$BIN/initdb" -D "$d" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$P/initdb.log" 2>&1 \
      || { tail -20 "$P/initdb.log" >&2; exit 1; }
  fi
  rm -f "$d/postmaster.pid"  # left behind by a killed server; the port check above proved it is not running
  # No Unix socket (unix_socket_directories=''): paths can exceed the 107-byte limit, and the tests use TCP.
  # fsync off: the data is thrown away.
  "${AS_PG[@]}" "$BIN/postgres" -D "$d" -p "$PORT" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
    >"$P/postgres.log" 2>&1 &
  echo $! >"$PIDFILE"
  for ((i = 0; i < 600; i++)); do  # the port opens a moment before connections are accepted
    alive "$(cat "$PIDFILE")" || { log "postgres died; log:"; tail -20 "$P/postgres.log" >&2; rm -f "$PIDFILE"; exit 1; }
    psql_ -c 'select 1' >/dev/null 2>&1 && break
    sleep 0.05
  done
  psql_ -c 'select 1' >/dev/null || { log "postgres not ready on :$PORT after 30 s"; tail -20 "$P/postgres.log" >&2; exit 1; }
  psql_ -c 'drop database if exists test with (force)' -c 'create database test' >/dev/null
  log "postgres ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), data $d) in $(($(now_ms) - t0)) ms"
}

stop() {
  stop_pidfile postgres "$PIDFILE" bin/postgres
  # The fallback cluster in /tmp is not under $PEERS_DIR: remove it (its data is thrown away anyway),
  # but only a folder of the name this script makes, and only when no server uses it.
  local d; d=$(data_dir)
  case $d in
    "${TMPDIR:-/tmp}"/switchboard-pg-????????????) [ -f "$PIDFILE" ] || rm -rf -- "$d" ;;
  esac
}

# What the tests get (one VAR=value a line).
env_for_tests() { echo "SWITCHBOARD_TEST_PG_URL=postgres://postgres@127.0.0.1:$PORT/test"; }

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install | start | stop | env"; exit 2 ;;
esac

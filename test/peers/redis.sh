#!/usr/bin/env bash
# Throwaway Redis for the tests (the IRC connection pool's streams): 127.0.0.1 only, no
# persistence (no RDB snapshots, no AOF), flushed on every start, so each run begins empty.
# usage: redis.sh install | start | stop | env (SWITCHBOARD_TEST_REDIS_URL for the tests)
# env: PEERS_DIR (state, default $REPO/.peers), REDIS_PORT (default 16379)
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${REDIS_PORT:-16379}
PIDFILE=$P/redis.pid
D=$P/redis

install() {
  command -v redis-server >/dev/null 2>&1 || apt_ensure redis-server
  command -v redis-server >/dev/null 2>&1 || { log "redis-server installed but not on PATH"; exit 1; }
  log "redis: $(redis-server --version)"
}

start() {
  command -v redis-server >/dev/null 2>&1 || { log "redis-server is not installed: run '$0 install'"; exit 1; }
  local t0 i; t0=$(now_ms)
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "redis already running (pid $(cat "$PIDFILE")): run '$0 stop' first"; exit 1
  fi
  need_free "$PORT"
  mkdir -p "$D"
  # No Unix socket, no protected-mode surprises (loopback only), no persistence, not daemonized ($! is redis).
  redis-server --bind 127.0.0.1 --port "$PORT" --unixsocket '' --save '' --appendonly no \
    --dir "$D" --daemonize no --logfile "$P/redis.log" </dev/null >/dev/null 2>&1 &
  echo $! >"$PIDFILE"
  for ((i = 0; i < 200; i++)); do
    alive "$(cat "$PIDFILE")" || { log "redis died; log:"; tail -20 "$P/redis.log" >&2; rm -f "$PIDFILE"; exit 1; }
    port_open "$PORT" && break
    sleep 0.05
  done
  port_open "$PORT" || { log "redis not listening on :$PORT after 10 s"; tail -20 "$P/redis.log" >&2; exit 1; }
  log "redis ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE")) in $(($(now_ms) - t0)) ms"
}

stop() { stop_pidfile redis "$PIDFILE" redis-server; }

# What the tests get (one VAR=value a line).
env_for_tests() { echo "SWITCHBOARD_TEST_REDIS_URL=redis://127.0.0.1:$PORT"; }

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install | start | stop | env"; exit 2 ;;
esac

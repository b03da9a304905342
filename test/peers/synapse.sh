#!/usr/bin/env bash
# Real Synapse on 127.0.0.1 for the integration tests: loopback only, SQLite, no federation, nothing leaves the machine.
# usage: synapse.sh install                      venv + pip install matrix-synapse==$SYNAPSE_VERSION (kept if already there)
#        synapse.sh start REGISTRATION.yaml...   write the config, start on a FRESH database, wait for /versions
#        synapse.sh register USER PASSWORD       a normal (non-admin) user, via the registration shared secret
#        synapse.sh stop
#        synapse.sh env                          what the tests get (SWITCHBOARD_TEST_HS_*)
# env: PEERS_DIR (state, default $REPO/.peers), SYNAPSE_VENV (default $PEERS_DIR/synapse-venv),
#      SYNAPSE_VERSION (default 1.163.2), HS_PORT (default 18008), SERVER_NAME (default localhost),
#      HS_SECRET (registration shared secret, default switchboard_test_registration_secret),
#      HS_MACAROON_SECRET (default test_macaroon_secret), PYTHON (default python3)
# Synapse reads appservice registrations only at start: write the registration, then start Synapse.
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SYNAPSE_VERSION=${SYNAPSE_VERSION:-1.163.2}
V=${SYNAPSE_VENV:-$P/synapse-venv}
D=$P/synapse
PIDFILE=$P/synapse.pid
PORT=${HS_PORT:-18008}
NAME=${SERVER_NAME:-localhost}
SECRET=${HS_SECRET:-switchboard_test_registration_secret}
MACAROON=${HS_MACAROON_SECRET:-test_macaroon_secret}
PY=${PYTHON:-python3}

# the installed distribution's version (synapse.__version__ adds git info when the venv is inside a checkout)
venv_version() { "$V/bin/python" -c 'import importlib.metadata as m, synapse; print(m.version("matrix-synapse"))' 2>/dev/null; }

install() {
  local have t0; t0=$(now_ms)
  have=$(venv_version || true)
  if [ "$have" = "$SYNAPSE_VERSION" ]; then log "synapse $have already in $V"; return 0; fi
  # Debian's python3 needs python3-venv for `python3 -m venv` (ensurepip).
  if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
    apt_ensure python3-venv
    "$PY" -c 'import ensurepip, venv' 2>/dev/null || PY=/usr/bin/python3
  fi
  if [ ! -x "$V/bin/pip" ]; then
    rm -rf "$V"
    "$PY" -m venv "$V"
  fi
  log "installing matrix-synapse==$SYNAPSE_VERSION into $V${have:+ (had $have)}"
  "$V/bin/pip" install -q --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION" >"$P/pip.log" 2>&1 \
    || { tail -30 "$P/pip.log" >&2; exit 1; }
  have=$(venv_version) || { log "synapse installed but does not import; see $P/pip.log"; exit 1; }
  log "synapse $have installed in $(($(now_ms) - t0)) ms"
}

write_config() { # write_config REGISTRATION...
  local f regs=""
  for f in "$@"; do
    [ -f "$f" ] || { log "no registration file $f"; exit 1; }
    regs+="  - $(realpath "$f")"$'\n'
  done
  mkdir -p "$D"
  cat >"$D/log.config" <<YAML
version: 1
formatters: {precise: {format: '%(asctime)s %(name)s %(levelname)s %(request)s %(message)s'}}
handlers: {file: {class: logging.FileHandler, formatter: precise, filename: $D/homeserver.log}}
root: {level: INFO, handlers: [file]}
disable_existing_loggers: false
YAML
  cat >"$D/homeserver.yaml" <<YAML
server_name: "$NAME"
public_baseurl: "http://127.0.0.1:$PORT/"
listeners:
  - {port: $PORT, tls: false, type: http, x_forwarded: false, bind_addresses: ['127.0.0.1'],
     resources: [{names: [client], compress: false}]}
database: {name: sqlite3, args: {database: $D/homeserver.db}}
log_config: $D/log.config
media_store_path: $D/media_store
signing_key_path: $D/signing.key
# nothing leaves the machine: no key servers, no federation, no previews, no stats
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
report_stats: false
url_preview_enabled: false
enable_metrics: false
enable_registration: false
registration_shared_secret: "$SECRET"
macaroon_secret_key: "$MACAROON"
form_secret: "test_form_secret"
bcrypt_rounds: 4
app_service_config_files:
$regs
# test users act fast; appservice users obey their registration's rate_limited flag
rc_message: {per_second: 1000, burst_count: 10000}
rc_registration: {per_second: 1000, burst_count: 10000}
rc_login:
  address: {per_second: 1000, burst_count: 10000}
  account: {per_second: 1000, burst_count: 10000}
  failed_attempts: {per_second: 1000, burst_count: 10000}
rc_joins:
  local: {per_second: 1000, burst_count: 10000}
  remote: {per_second: 1000, burst_count: 10000}
rc_joins_per_room: {per_second: 1000, burst_count: 10000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 10000}
  per_user: {per_second: 1000, burst_count: 10000}
  per_issuer: {per_second: 1000, burst_count: 10000}
rc_room_creation: {per_second: 1000, burst_count: 10000}
rc_media_create: {per_second: 1000, burst_count: 10000}
rc_profile: {per_second: 1000, burst_count: 10000}
rc_presence:
  per_user: {per_second: 1000, burst_count: 10000}
rc_delayed_event_mgmt: {per_second: 1000, burst_count: 10000}
rc_user_directory: {per_second: 1000, burst_count: 10000}
rc_reports: {per_second: 1000, burst_count: 10000}
YAML
  [ -f "$D/signing.key" ] || "$V/bin/python" -m synapse.app.homeserver -c "$D/homeserver.yaml" --generate-keys >/dev/null
}

start() {
  [ $# -gt 0 ] || { echo "start needs at least one appservice registration file" >&2; exit 2; }
  [ -x "$V/bin/python" ] || { log "no Synapse in $V: run '$0 install' first"; exit 1; }
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "synapse already running (pid $(cat "$PIDFILE")): run '$0 stop' first"; exit 1
  fi
  need_free "$PORT"
  local t0 pid i; t0=$(now_ms)
  write_config "$@"
  # A fresh database every start: no users, rooms or queued appservice transactions from an earlier run.
  rm -rf "$D/homeserver.db" "$D/homeserver.db-wal" "$D/homeserver.db-shm" "$D/homeserver.db-journal" "$D/media_store"
  : >"$D/homeserver.log"
  "$V/bin/python" -m synapse.app.homeserver -c "$D/homeserver.yaml" >"$D/stdout.log" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  for ((i = 0; i < 1200; i++)); do
    alive "$pid" || { log "synapse died; see $D/stdout.log and $D/homeserver.log:"; tail -30 "$D/stdout.log" "$D/homeserver.log" >&2; rm -f "$PIDFILE"; exit 1; }
    [ "$(http_status "$PORT" /_matrix/client/versions)" = 200 ] && {
      log "synapse $(venv_version) ready on http://127.0.0.1:$PORT (pid $pid) in $(($(now_ms) - t0)) ms"
      return 0
    }
    sleep 0.1
  done
  log "synapse not ready after 120 s"; tail -30 "$D/homeserver.log" >&2; exit 1
}

register() { # register USER PASSWORD
  "$V/bin/python" -m synapse._scripts.register_new_matrix_user -u "$1" -p "$2" --no-admin -k "$SECRET" "http://127.0.0.1:$PORT"
}

stop() { stop_pidfile synapse "$PIDFILE" synapse.app.homeserver; }

# What the tests get (one VAR=value a line).
env_for_tests() {
  echo "SWITCHBOARD_TEST_HS_URL=http://127.0.0.1:$PORT"
  echo "SWITCHBOARD_TEST_HS_SERVER_NAME=$NAME"
  echo "SWITCHBOARD_TEST_HS_SECRET=$SECRET"
}

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start "$@" ;;
  register) register "$@" ;;
  stop) stop ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install | start REGISTRATION... | register USER PASSWORD | stop | env"; exit 2 ;;
esac

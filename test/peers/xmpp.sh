#!/usr/bin/env bash
# A real XMPP server on 127.0.0.1 for the XMPP bridge's integration tests: Prosody 0.12 (Debian's),
# plaintext client connections (PLAIN logins: SCRAM is off, so @xmpp/client logs in in ~80 ms
# instead of ~0.9 s), a MUC service `conference.localhost` (rooms unlocked at creation, MAM on,
# so groupchat messages carry XEP-0359 stanza-ids; XEP-0425 moderation by moderators through
# mod_muc_moderation of Debian's prosody-modules; any occupant may set the subject), a second MUC
# service `locking.localhost` with Prosody's defaults (a new room is locked until its owner
# configures it, XEP-0045 §10.1; the rest as Prosody's defaults too) and the bridge's external component
# `matrix.localhost` (XEP-0114, secret `matrixsecret`: a test-only secret on loopback), and
# XEP-0363 HTTP file upload `upload.localhost` (mod_http_file_share, plain HTTP on loopback,
# files up to 1 MiB). In rooms whose name starts with `nopm`, only moderators may send private
# messages to occupants; others get `not-allowed` (a test module, mod_muc_test_no_pm, written
# here: as XEP-0045's muc#roomconfig_allowpm = moderators, ejabberd's allow_private_messages or
# the community mod_muc_restrict_pm do).
# Messages to a user who is offline wait for them (mod_offline).
# Users alice, bob, carol, dave and erin @localhost, password `<name>-pw`, are registered at each start
# (the data folder is made afresh, so no test sees an earlier run's rooms or rosters).
# usage: xmpp.sh install | start | stop | env (what the tests get: SWITCHBOARD_TEST_XMPP_C2S_PORT,
#        SWITCHBOARD_TEST_XMPP_COMPONENT_PORT and SWITCHBOARD_TEST_XMPP_HTTP_PORT)
# env: PEERS_DIR (state, default $REPO/.peers), XMPP_C2S_PORT (client port, default 15222),
#      XMPP_COMPONENT_PORT (component port, default 15347), XMPP_HTTP_PORT (HTTP upload, 15280),
#      XMPP_MUC_ARCHIVE (on, the default; off: no MUC archive, so no XEP-0425 either, for the benchmark),
#      XMPP_NAGLE (on, Prosody's default; off: network_settings = { nagle = false }, so Prosody
#      writes each stanza at once instead of holding it for the peer's ACK: bench/README.md),
#      XMPP_OPPORTUNISTIC_WRITES (off, Prosody's default; on: network_settings.opportunistic_writes,
#      so Prosody writes to a socket at once instead of after handling the rest of what it read),
#      XMPP_PLAIN_COMPONENT (off, the default; on: a second component `plain.localhost`, secret
#      `plainsecret`, for the benchmark's plain component sender: bench/lib/xmpp-plain-component.ts).
# Gotchas (../shared/peers/README.md §2): without muc_room_locking = false a new room is locked
# and others' joins get item-not-found until its owner configures it (the bridge does for rooms it
# makes: locking.localhost tests that; conference.localhost stays unlocked for the other tests); Prosody prints a harmless
# "lua-unbound not found" banner; prosodyctl register works while the server is stopped.
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
C2S_PORT=${XMPP_C2S_PORT:-15222}
COMPONENT_PORT=${XMPP_COMPONENT_PORT:-15347}
HTTP_PORT=${XMPP_HTTP_PORT:-15280}
# Prosody's file storage makes each archived message cost more as the archive grows: the benchmark,
# which sends tens of thousands into one room, runs without it.
# mod_muc_moderation (Debian's prosody-modules): XEP-0425 message moderation, which needs the archive.
MUC_MODULES='"muc_mam", "muc_moderation", "muc_test_no_pm"'
[ "${XMPP_MUC_ARCHIVE:-on}" = off ] && MUC_MODULES='"muc_test_no_pm"'
NETWORK=()
[ "${XMPP_NAGLE:-on}" = off ] && NETWORK+=('nagle = false')
[ "${XMPP_OPPORTUNISTIC_WRITES:-off}" = on ] && NETWORK+=('opportunistic_writes = true')
NETWORK_SETTINGS=''
[ ${#NETWORK[@]} -gt 0 ] && NETWORK_SETTINGS="network_settings = { $(IFS=,; echo "${NETWORK[*]}") }"
PLAIN_COMPONENT=''
[ "${XMPP_PLAIN_COMPONENT:-off}" = on ] && PLAIN_COMPONENT='Component "plain.localhost"
  component_secret = "plainsecret"'
D=$P/prosody
PIDFILE=$P/prosody.pid
USERS="alice bob carol dave erin"

install() {
  command -v prosody >/dev/null 2>&1 || apt_ensure prosody
  apt_ensure prosody-modules # mod_muc_moderation (XEP-0425)
  command -v prosody >/dev/null 2>&1 || { log "prosody installed but not on PATH"; exit 1; }
  log "prosody: $(dpkg-query -W -f="\${Version}" prosody 2>/dev/null || echo installed)"
}

config() {
  mkdir -p "$D/plugins"
  cat >"$D/plugins/mod_muc_test_no_pm.lua" <<'LUA'
-- Test only: in rooms named nopm…, only moderators may send private messages (XEP-0045 §7.5;
-- muc#roomconfig_allowpm = moderators).
local st = require "util.stanza";
local jid_split = require "util.jid".split;
module:hook("muc-private-message", function(event)
	local room, stanza = event.room, event.stanza;
	local node = jid_split(room.jid);
	if not node or node:sub(1, 4) ~= "nopm" then return; end
	local sender = room:get_occupant_by_nick(stanza.attr.from);
	if sender and sender.role == "moderator" then return; end
	if sender then
		room:route_to_occupant(sender, st.error_reply(stanza, "cancel", "not-allowed",
			"Private messages are not allowed in this room", room.jid));
	end
	return false;
end, 1);
LUA
  cat >"$D/prosody.cfg.lua" <<LUA
pidfile = "$D/prosody.pidfile"
plugin_paths = { "$D/plugins" }
data_path = "$D/data"
run_as_root = true
log = { info = "$D/prosody.log" }
interfaces = { "127.0.0.1" }
$NETWORK_SETTINGS
local_interfaces = { "127.0.0.1" }
c2s_ports = { $C2S_PORT }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_interfaces = { "127.0.0.1" }
component_ports = { $COMPONENT_PORT }
http_ports = { $HTTP_PORT }
http_interfaces = { "127.0.0.1" }
https_ports = { }
http_default_host = "upload.localhost" -- requests for 127.0.0.1 go to the upload service
modules_enabled = { "roster", "saslauth", "disco", "ping", "time", "version", "offline", "vcard", "pep" }
modules_disabled = { "s2s", "tls", "posix" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
disable_sasl_mechanisms = { "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256" }
VirtualHost "localhost"
Component "conference.localhost" "muc"
  modules_enabled = { $MUC_MODULES }
  restrict_room_creation = false
  muc_room_locking = false
  muc_room_default_public = true
  muc_room_default_persistent = false
  muc_room_default_change_subject = true
Component "locking.localhost" "muc"
  modules_enabled = { $MUC_MODULES }
  restrict_room_creation = false
Component "matrix.localhost"
  component_secret = "matrixsecret"
$PLAIN_COMPONENT
Component "upload.localhost" "http_file_share"
  http_external_url = "http://127.0.0.1:$HTTP_PORT/"
  http_file_share_size_limit = 1048576
LUA
}

start() {
  local f=$PIDFILE t0 i pid
  t0=$(now_ms)
  if [ -f "$f" ] && alive "$(cat "$f")"; then
    log "prosody already running (pid $(cat "$f")): run '$0 stop' first"; exit 1
  fi
  command -v prosody >/dev/null 2>&1 || { log "prosody is not installed: run '$0 install'"; exit 1; }
  need_free "$C2S_PORT" "$COMPONENT_PORT" "$HTTP_PORT"
  mkdir -p "$D"
  rm -rf "$D/data" # our own state folder under PEERS_DIR: a fresh server each run
  mkdir -p "$D/data"
  config
  for u in $USERS; do
    prosodyctl --config "$D/prosody.cfg.lua" register "$u" localhost "$u-pw" >>"$D/prosodyctl.log" 2>&1
  done
  prosody -F --config "$D/prosody.cfg.lua" >>"$D/prosody.out" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$f"
  for ((i = 0; i < 200; i++)); do
    alive "$pid" || { log "prosody exited at start; $D/prosody.log:"; tail -20 "$D/prosody.log" "$D/prosody.out" >&2; rm -f "$f"; exit 1; }
    port_open "$C2S_PORT" && port_open "$COMPONENT_PORT" && port_open "$HTTP_PORT" && break
    sleep 0.05
  done
  port_open "$C2S_PORT" && port_open "$COMPONENT_PORT" && port_open "$HTTP_PORT" ||
    { log "prosody did not open :$C2S_PORT, :$COMPONENT_PORT and :$HTTP_PORT in 10 s"; stop; exit 1; }
  log "prosody ready on 127.0.0.1:$C2S_PORT (c2s), :$COMPONENT_PORT (component) and :$HTTP_PORT (HTTP upload) (pid $pid) in $(($(now_ms) - t0)) ms"
}

stop() {
  stop_pidfile prosody "$PIDFILE" prosody
}

env_for_tests() {
  echo "SWITCHBOARD_TEST_XMPP_C2S_PORT=$C2S_PORT"
  echo "SWITCHBOARD_TEST_XMPP_COMPONENT_PORT=$COMPONENT_PORT"
  echo "SWITCHBOARD_TEST_XMPP_HTTP_PORT=$HTTP_PORT"
}

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install | start | stop | env"; exit 2 ;;
esac

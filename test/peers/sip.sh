#!/usr/bin/env bash
# A real SIP registrar/proxy on 127.0.0.1 for the SIP bridge's integration tests: Kamailio 5.6 with
# its websocket module (SIP over WebSocket, what the bridge speaks, on SIP_WS_PORT) and UDP+TCP on
# SIP_PORT (where sipp, the remote phones of the tests, talks), plus sipp itself (apt sip-tester).
# REGISTER needs digest auth (auth module, pv_www_authenticate against the users below): the
# bridge's trunk account `switchboard` (password `switchboardpw`) and two phones `alice`, `bob`
# (`alicepw`, `bobpw`). Test-only secrets on loopback; they are in $PEERS_DIR/kamailio/users.
# A call or MESSAGE to a number (`sip:+15550001@localhost`, `sip:5550001@localhost`) goes to whoever
# registered as `switchboard` (the DIDs of the trunk: the bridge reads the number from the To
# header), anything else to the registered user; a request for another host (sipp's
# 127.0.0.1:port) is relayed there. Registrations are kept in memory only: `restart` forgets them
# (the registrar-restart test).
# usage: sip.sh install | start | stop | restart | env
# env: PEERS_DIR (state, default $REPO/.peers), SIP_WS_PORT (default 18080), SIP_PORT (udp+tcp, default 15060)
# The tests get (`env`): SWITCHBOARD_TEST_SIP_WS_URL (ws://127.0.0.1:SIP_WS_PORT) and
# SWITCHBOARD_TEST_SIP_PORT (where sipp talks).
# Gotchas (../shared/peers/README.md, section 4): no alias for 127.0.0.1 (every 127.0.0.1:port would
# be "myself"); WS requests need add_contact_alias / fix_nated_register; in-dialog requests
# loose_route + handle_ruri_alias; -DD -E keeps it in the foreground, logging to stderr.
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WS_PORT=${SIP_WS_PORT:-18080}
PORT=${SIP_PORT:-15060}
K=$P/kamailio
PIDFILE=$P/kamailio.pid
MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules

install() {
  command -v kamailio >/dev/null 2>&1 && [ -f "$MODULES/websocket.so" ] && command -v sipp >/dev/null 2>&1 ||
    apt_ensure kamailio kamailio-websocket-modules sip-tester
  command -v kamailio >/dev/null 2>&1 || { log "kamailio installed but not on PATH"; exit 1; }
  command -v sipp >/dev/null 2>&1 || { log "sipp installed but not on PATH"; exit 1; }
  log "kamailio: $(kamailio -v 2>/dev/null | head -1 || echo installed)"
}

config() {
  mkdir -p "$K/run"
  printf 'switchboard switchboardpw\nalice alicepw\nbob bobpw\n' >"$K/users"
  cat >"$K/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
listen=udp:127.0.0.1:$PORT
listen=tcp:127.0.0.1:$PORT
listen=tcp:127.0.0.1:$WS_PORT
alias="localhost"
tcp_accept_no_cl=yes
mpath="$MODULES/"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "nathelper.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("nathelper|registrar", "received_avp", "\$avp(RECEIVED)")
modparam("websocket", "keepalive_mechanism", 0)
modparam("auth", "nonce_expire", 300)
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check("17895", "7")) exit;
	if (nat_uac_test("64")) {
		force_rport();
		if (is_method("REGISTER")) fix_nated_register();
		else if (!add_contact_alias()) { sl_send_reply("400", "Bad Request"); exit; }
	}
	if (has_totag()) {
		if (loose_route()) {
			if (!handle_ruri_alias()) { sl_send_reply("400", "Bad Request"); exit; }
			t_relay(); exit;
		}
		if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		\$var(pw) = "";
$(while read -r user pw; do printf '\t\tif ($au == "%s") $var(pw) = "%s";\n' "$user" "$pw"; done <"$K/users")
		if (\$var(pw) == "" || !pv_www_authenticate("\$td", "\$var(pw)", "0")) {
			www_challenge("\$td", "0"); exit;
		}
		if (\$au != \$tU) { sl_send_reply("403", "Forbidden: not your AOR"); exit; }
		consume_credentials();
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (is_method("INVITE|SUBSCRIBE|REFER")) record_route();
	if (uri!=myself) { t_relay(); exit; }
	if (\$rU =~ "^\\\\+?[0-9]+\$") \$rU = "switchboard";
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	if (!t_relay()) sl_reply_error();
}
onreply_route { if (nat_uac_test("64")) add_contact_alias(); }
event_route[xhttp:request] {
	if (\$hdr(Upgrade) =~ "websocket" && \$hdr(Connection) =~ "Upgrade" && \$rm =~ "GET") {
		if (ws_handle_handshake()) exit;
	}
	xhttp_reply("404", "Not Found", "", "");
}
CFG
}

start() {
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then log "kamailio already running"; return 0; fi
  need_free "$WS_PORT" "$PORT"
  config
  kamailio -c -f "$K/kamailio.cfg" >"$K/check.log" 2>&1 || { log "kamailio config check failed:"; tail -20 "$K/check.log" >&2; exit 1; }
  local t0; t0=$(now_ms)
  kamailio -DD -E -f "$K/kamailio.cfg" -P "$K/run/kamailio.pid" -Y "$K/run" -m 64 -M 8 >>"$K/kamailio.log" 2>&1 &
  echo $! >"$PIDFILE"
  local i
  for ((i = 0; i < 200; i++)); do
    port_open "$WS_PORT" && port_open "$PORT" && break
    alive "$(cat "$PIDFILE")" || { log "kamailio exited:"; tail -20 "$K/kamailio.log" >&2; exit 1; }
    sleep 0.05
  done
  port_open "$WS_PORT" || { log "kamailio did not open port $WS_PORT:"; tail -20 "$K/kamailio.log" >&2; exit 1; }
  log "kamailio ready in $(($(now_ms) - t0)) ms (ws $WS_PORT, udp/tcp $PORT)"
}

stop() {
  stop_pidfile kamailio "$PIDFILE" kamailio
  # The children close their sockets a moment after the main process exits.
  local i
  for ((i = 0; i < 100; i++)); do port_open "$WS_PORT" || port_open "$PORT" || break; sleep 0.05; done
}

env_for_tests() {
  echo "SWITCHBOARD_TEST_SIP_WS_URL=ws://127.0.0.1:$WS_PORT"
  echo "SWITCHBOARD_TEST_SIP_PORT=$PORT"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install|start|stop|restart|env" >&2; exit 2 ;;
esac

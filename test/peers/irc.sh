#!/usr/bin/env bash
# Real InspIRCd 3 on 127.0.0.1 for the IRC bridge's integration tests: plaintext and TLS (a self-signed
# certificate for localhost/127.0.0.1 made by openssl, $PEERS_DIR/inspircd/cert.pem), IRCv3 caps on,
# flood limits off (the bridge's own pacing is what the tests measure, not the server's fakelag).
# usage: irc.sh install | start | stop
# env: PEERS_DIR (state, default $REPO/.peers), IRC_PORT (default 16667), IRC_TLS_PORT (default 16697)
# Gotchas (../shared/peers/README.md): InspIRCd refuses root without --runasroot; Debian's 3.15
# segfaults on SIGTERM at shutdown (ulimit -c 0 keeps the core file away); client registration
# takes about 1 s (InspIRCd finishes it on a 1-second timer).
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${IRC_PORT:-16667}
TLS_PORT=${IRC_TLS_PORT:-16697}
PIDFILE=$P/inspircd.pid
D=$P/inspircd

install() {
  command -v inspircd >/dev/null 2>&1 || apt_ensure inspircd
  command -v inspircd >/dev/null 2>&1 || { log "inspircd installed but not on PATH"; exit 1; }
  command -v openssl >/dev/null 2>&1 || apt_ensure openssl
  log "inspircd: $(inspircd --version 2>/dev/null | head -1 || echo installed)"
}

# A self-signed test certificate (kept between runs): it is also the CA the TLS tests trust.
certs() {
  [ -f "$D/cert.pem" ] && [ -f "$D/key.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
  chmod 644 "$D/key.pem" # test-only key
}

write_config() {
  mkdir -p "$D"
  certs
  : >"$D/motd"
  cat >"$D/inspircd.conf" <<CONF
<server name="irc.localhost" description="Switchboard tests" network="SBTest">
<admin name="CI" nick="ci" email="ci@localhost">
<bind address="127.0.0.1" port="$PORT" type="clients">
<bind address="127.0.0.1" port="$TLS_PORT" type="clients" sslprofile="tests">
<module name="ssl_gnutls"><module name="sslinfo">
<sslprofile name="tests" provider="gnutls" certfile="$D/cert.pem" keyfile="$D/key.pem" requestclientcert="no">
<connect name="main" allow="*" timeout="60" pingfreq="120" threshold="1000000" commandrate="1000000000" fakelag="no"
  hardsendq="10485760" softsendq="1048576" recvq="1048576" localmax="10000" globalmax="10000" maxchans="1000" resolvehostnames="no">
<files motd="$D/motd">
<pid file="$D/inspircd.pidfile">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$D/inspircd-file.log">
<dns server="127.0.0.1" timeout="1">
<channels users="1000" opers="1000">
<limits maxnick="31" maxchan="64">
<module name="cap"><module name="ircv3"><module name="ircv3_servertime"><module name="ircv3_ctctags"><module name="ircv3_msgid">
<module name="ircv3_batch"><module name="ircv3_labeledresponse"><module name="ircv3_echomessage"><module name="ircv3_accounttag">
<module name="ircv3_capnotify"><module name="ircv3_chghost"><module name="ircv3_invitenotify">
<module name="namesx"><module name="uhnames"><module name="setname"><module name="monitor">
CONF
}

start() {
  command -v inspircd >/dev/null 2>&1 || { log "inspircd is not installed: run '$0 install'"; exit 1; }
  local t0 i; t0=$(now_ms)
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "inspircd already running (pid $(cat "$PIDFILE")): run '$0 stop' first"; exit 1
  fi
  need_free "$PORT"
  need_free "$TLS_PORT"
  write_config
  ulimit -c 0 # Debian's InspIRCd 3.15 segfaults on SIGTERM; no core files
  local root=()
  [ "$(id -u)" = 0 ] && root=(--runasroot)
  (cd "$D" && exec inspircd --nofork "${root[@]}" --config="$D/inspircd.conf") >"$P/inspircd.log" 2>&1 &
  echo $! >"$PIDFILE"
  for ((i = 0; i < 300; i++)); do
    alive "$(cat "$PIDFILE")" || { log "inspircd died; log:"; tail -20 "$P/inspircd.log" >&2; rm -f "$PIDFILE"; exit 1; }
    port_open "$PORT" && port_open "$TLS_PORT" && break
    sleep 0.05
  done
  port_open "$PORT" && port_open "$TLS_PORT" || { log "inspircd not ready on :$PORT and :$TLS_PORT (TLS) after 15 s"; tail -20 "$P/inspircd.log" >&2; exit 1; }
  log "inspircd ready on 127.0.0.1:$PORT and :$TLS_PORT (TLS) (pid $(cat "$PIDFILE")) in $(($(now_ms) - t0)) ms"
}

stop() { stop_pidfile inspircd "$PIDFILE" inspircd; }

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install | start | stop"; exit 2 ;;
esac

#!/usr/bin/env bash
# Real IRC servers on 127.0.0.1 for the IRC bridge's integration tests:
# - InspIRCd 3, plaintext and TLS (a self-signed certificate for localhost/127.0.0.1 made by openssl,
#   $PEERS_DIR/inspircd/cert.pem), IRCv3 caps on, flood limits off (the bridge's own pacing is what
#   the tests measure, not the server's fakelag), with SASL (m_sasl) through
# - Atheme services (NickServ, SaslServ) linked to it over a loopback server link, and
# - ngIRCd, a minimal RFC-only server (no IRCv3 but multi-prefix, no SASL), plaintext, limits off.
# - a filter (m_filter): InspIRCd refuses any PRIVMSG or NOTICE containing REFUSED-BY-IRC, telling
#   its sender (404 in a channel), for the conformance kit's `refused-message`.
# - history: InspIRCd's chanhistory module replays a channel's last lines to whoever joins, in a
#   `chathistory` batch, in channels with mode `+H <lines>:<period>` (the catch-up tests set it).
# - (not started here) test/integration/irc-namespace.test.ts starts its own InspIRCd inside a
#   network namespace it makes with `unshare -rn` (ident lookups, IPv6): install puts in iproute2
#   and procps for it.
# - a second InspIRCd, irc2.localhost (plaintext), NOT linked at start: tests link it to the first
#   (`CONNECT irc2.localhost` as the oper root/ci on the first) and split it off (`SQUIT`), for
#   netsplits. The first listens for server links on IRC_LINK_PORT, the second on IRC2_LINK_PORT.
# usage: irc.sh install | start | stop | env (what the tests get: see env_for_tests)
#        irc.sh install-inspircd | start-inspircd    only the first InspIRCd, plaintext on IRC_PORT, no TLS, no
#                                                   services, no links (`switchboard demo`); `stop` stops it
# env: PEERS_DIR (state, default $REPO/.peers), IRC_NETWORK (the network name, default SBTest), IRC_PORT (default 16667),
#      IRC_TLS_PORT (default IRC_PORT+30, 16697),
#      IRC_LINK_PORT (InspIRCd's server link for Atheme; default IRC_PORT+333, 17000 with the default
#      IRC_PORT), NGIRCD_PORT (default IRC_PORT+1, 16668), IRC2_PORT (the second InspIRCd's client port,
#      default IRC_PORT+2) and IRC2_LINK_PORT (its server link, default IRC_PORT+334): the defaults move with IRC_PORT so that two
#      runs side by side that only set IRC_PORT do not collide.
# Gotchas (../shared/peers/README.md): InspIRCd refuses root without --runasroot; Debian's 3.15
# segfaults on SIGTERM at shutdown (ulimit -c 0 keeps the core file away); client registration
# takes about 1 s (InspIRCd finishes it on a 1-second timer). m_sasl makes InspIRCd refuse to start
# without <sasl target=...>. Atheme's NickServ rejects e-mail addresses without a dot. ngIRCd drops
# to `nobody` when started as root (its PidFile write then fails, harmlessly: we keep $! instead).
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${IRC_PORT:-16667}
TLS_PORT=${IRC_TLS_PORT:-$((PORT + 30))}
LINK_PORT=${IRC_LINK_PORT:-$((PORT + 333))}
NG_PORT=${NGIRCD_PORT:-$((PORT + 1))}
PORT2=${IRC2_PORT:-$((PORT + 2))}
LINK2_PORT=${IRC2_LINK_PORT:-$((PORT + 334))}
NETWORK=${IRC_NETWORK:-SBTest}
PIDFILE=$P/inspircd.pid
PIDFILE2=$P/inspircd2.pid
ATHEME_PIDFILE=$P/atheme.pid
NGIRCD_PIDFILE=$P/ngircd.pid
D=$P/inspircd
D2=$P/inspircd2
A=$P/atheme
N=$P/ngircd
# The link password is a test-only shared secret between two loopback processes.
LINK_PASS=switchboard-test-link

install() {
  command -v inspircd >/dev/null 2>&1 || apt_ensure inspircd
  command -v inspircd >/dev/null 2>&1 || { log "inspircd installed but not on PATH"; exit 1; }
  command -v atheme-services >/dev/null 2>&1 || apt_ensure atheme-services
  command -v atheme-services >/dev/null 2>&1 || { log "atheme-services installed but not on PATH"; exit 1; }
  command -v ngircd >/dev/null 2>&1 || apt_ensure ngircd
  command -v ngircd >/dev/null 2>&1 || { log "ngircd installed but not on PATH"; exit 1; }
  command -v openssl >/dev/null 2>&1 || apt_ensure openssl
  # The ident and IPv6 source-address test runs InspIRCd in a network namespace it makes
  # (unshare from util-linux; ip from iproute2; sysctl from procps).
  command -v ip >/dev/null 2>&1 || apt_ensure iproute2
  command -v sysctl >/dev/null 2>&1 || apt_ensure procps
  log "inspircd: $(inspircd --version 2>/dev/null | head -1 || echo installed)"
  log "atheme: $(atheme-services -v 2>/dev/null | head -1 || echo installed)"
  log "ngircd: $(ngircd --version 2>/dev/null | head -1 || echo installed)"
}

# A self-signed test certificate (kept between runs): it is also the CA the TLS tests trust.
certs() {
  [ -f "$D/cert.pem" ] && [ -f "$D/key.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
  chmod 644 "$D/key.pem" # test-only key
}

# What every InspIRCd here has: limits off, IRCv3 caps.
inspircd_basics() {
  cat <<CONF
<admin name="CI" nick="ci" email="ci@localhost">
<connect name="main" allow="*" timeout="60" pingfreq="120" threshold="1000000" commandrate="1000000000" fakelag="no"
  hardsendq="10485760" softsendq="1048576" recvq="1048576" localmax="10000" globalmax="10000" maxchans="1000" resolvehostnames="no">
<files motd="$D/motd">
<dns server="127.0.0.1" timeout="1">
<channels users="1000" opers="1000">
<limits maxnick="31" maxchan="64">
<module name="cap"><module name="ircv3"><module name="ircv3_servertime"><module name="ircv3_ctctags"><module name="ircv3_msgid">
<module name="ircv3_batch"><module name="ircv3_labeledresponse"><module name="ircv3_echomessage"><module name="ircv3_accounttag">
<module name="ircv3_capnotify"><module name="ircv3_chghost"><module name="ircv3_invitenotify">
<module name="namesx"><module name="uhnames"><module name="setname"><module name="monitor">
CONF
}

# What both test InspIRCd servers share: the basics, TLS, services (SASL through Atheme). Linked
# servers must load the same network-wide modules, so both load all of these.
inspircd_common() {
  inspircd_basics
  cat <<CONF
<module name="ssl_gnutls"><module name="sslinfo">
<sslprofile name="tests" provider="gnutls" certfile="$D/cert.pem" keyfile="$D/key.pem" requestclientcert="no">
<module name="services_account">
<module name="chanhistory"><chanhistory maxlines="100" prefixmsg="no" bots="yes">
<module name="spanningtree">
<uline server="services.localhost" silent="yes">
<module name="sasl"><sasl target="services.localhost" requiressl="no">
<module name="regex_glob"><module name="filter"><filteropts engine="glob" notifyuser="yes" warnonselfmsg="no">
<keyword pattern="*REFUSED-BY-IRC*" reason="the test filter refuses it" action="silent" flags="pn">
CONF
}

write_inspircd_config() {
  mkdir -p "$D"
  certs
  : >"$D/motd"
  {
    cat <<CONF
<server name="irc.localhost" description="Switchboard tests" network="$NETWORK">
<bind address="127.0.0.1" port="$PORT" type="clients">
<bind address="127.0.0.1" port="$TLS_PORT" type="clients" sslprofile="tests">
<pid file="$D/inspircd.pidfile">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$D/inspircd-file.log">
<bind address="127.0.0.1" port="$LINK_PORT" type="servers">
<link name="services.localhost" ipaddr="127.0.0.1" port="$LINK_PORT" allowmask="127.0.0.1/32" sendpass="$LINK_PASS" recvpass="$LINK_PASS">
<link name="irc2.localhost" ipaddr="127.0.0.1" port="$LINK2_PORT" allowmask="127.0.0.1/32" sendpass="$LINK_PASS" recvpass="$LINK_PASS">
<class name="all" commands="*" privs="*" usermodes="*" chanmodes="*"><type name="NetAdmin" classes="all">
<oper name="root" password="ci" host="*@127.0.0.1" type="NetAdmin">
CONF
    inspircd_common
  } >"$D/inspircd.conf"
}

# Only a plaintext client port: nothing to link, no services (`start-inspircd`).
write_inspircd_minimal_config() {
  mkdir -p "$D"
  echo "Welcome to the $NETWORK network on 127.0.0.1. Join a channel: /join #demo" >"$D/motd"
  {
    cat <<CONF
<server name="irc.localhost" description="Switchboard" network="$NETWORK">
<bind address="127.0.0.1" port="$PORT" type="clients">
<pid file="$D/inspircd.pidfile">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$D/inspircd-file.log">
CONF
    inspircd_basics
  } >"$D/inspircd.conf"
}

write_inspircd2_config() {
  mkdir -p "$D2"
  {
    cat <<CONF
<server name="irc2.localhost" description="Switchboard tests (second server)" network="$NETWORK">
<bind address="127.0.0.1" port="$PORT2" type="clients">
<pid file="$D2/inspircd.pidfile">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$D2/inspircd-file.log">
<bind address="127.0.0.1" port="$LINK2_PORT" type="servers">
<link name="irc.localhost" ipaddr="127.0.0.1" port="$LINK_PORT" allowmask="127.0.0.1/32" sendpass="$LINK_PASS" recvpass="$LINK_PASS">
CONF
    inspircd_common
  } >"$D2/inspircd.conf"
}

# Atheme keeps its accounts in $A/services.db (opensex); they survive between runs, which is
# harmless: the tests register accounts with random names.
write_atheme_config() {
  mkdir -p "$A"
  cat >"$A/atheme.conf" <<CONF
loadmodule "modules/protocol/inspircd"; loadmodule "modules/backend/opensex"; loadmodule "modules/crypto/pbkdf2v2";
loadmodule "modules/nickserv/main"; loadmodule "modules/nickserv/register"; loadmodule "modules/nickserv/identify";
loadmodule "modules/saslserv/main"; loadmodule "modules/saslserv/plain";
serverinfo { name = "services.localhost"; desc = "Switchboard test services"; numeric = "00A"; recontime = 1; netname = "SBTest";
  hidehostsuffix = "users.test"; adminname = "ci"; adminemail = "ci@ci.example"; mta = "/bin/true"; loglevel = { error; info; network; };
  maxlogins = 100; maxusers = 100; maxnicks = 5; maxchans = 5; mdlimit = 30; emaillimit = 10; emailtime = 300; auth = none; casemapping = rfc1459; };
uplink "irc.localhost" { host = "127.0.0.1"; port = $LINK_PORT; send_password = "$LINK_PASS"; receive_password = "$LINK_PASS"; };
nickserv { nick = "NickServ"; user = "NickServ"; host = "services.localhost"; real = "Nickname Services"; };
saslserv { nick = "SaslServ"; user = "SaslServ"; host = "services.localhost"; real = "SASL Agent"; };
general { commit_interval = 1; ratelimit_uses = 1000; ratelimit_period = 1; };
CONF
}

write_ngircd_config() {
  mkdir -p "$N"
  cat >"$N/ngircd.conf" <<CONF
[Global]
	Name = ngircd.localhost
	Info = Switchboard tests (RFC-only server)
	Listen = 127.0.0.1
	Ports = $NG_PORT
	MotdPhrase = Switchboard tests
	PidFile = $N/ngircd.pidfile
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxPenaltyTime = 0
	MaxNickLength = 31
[Options]
	DNS = no
	Ident = no
	PAM = no
CONF
}

# start_inspircd [minimal]: the full test server (plaintext, TLS, server link), or only plaintext.
start_inspircd() {
  local i ports=("$PORT" "$TLS_PORT" "$LINK_PORT")
  if [ "${1:-}" = minimal ]; then
    ports=("$PORT")
    need_free "${ports[@]}"
    write_inspircd_minimal_config
  else
    need_free "${ports[@]}"
    write_inspircd_config
  fi
  local root=()
  [ "$(id -u)" = 0 ] && root=(--runasroot)
  (cd "$D" && exec inspircd --nofork "${root[@]}" --config="$D/inspircd.conf") >"$P/inspircd.log" 2>&1 &
  echo $! >"$PIDFILE"
  all_open() { local p; for p in "${ports[@]}"; do port_open "$p" || return 1; done; }
  for ((i = 0; i < 300; i++)); do
    alive "$(cat "$PIDFILE")" || { log "inspircd died; log:"; tail -20 "$P/inspircd.log" >&2; rm -f "$PIDFILE"; exit 1; }
    all_open && return 0
    sleep 0.05
  done
  log "inspircd not ready on 127.0.0.1 port(s) ${ports[*]} after 15 s"
  tail -20 "$P/inspircd.log" >&2
  exit 1
}

# The second InspIRCd: ready when its client and server-link ports are open.
start_inspircd2() {
  local i
  need_free "$PORT2" "$LINK2_PORT"
  write_inspircd2_config
  local root=()
  [ "$(id -u)" = 0 ] && root=(--runasroot)
  (cd "$D2" && exec inspircd --nofork "${root[@]}" --config="$D2/inspircd.conf") >"$P/inspircd2.log" 2>&1 &
  echo $! >"$PIDFILE2"
  for ((i = 0; i < 300; i++)); do
    alive "$(cat "$PIDFILE2")" || { log "inspircd2 died; log:"; tail -20 "$P/inspircd2.log" >&2; rm -f "$PIDFILE2"; exit 1; }
    port_open "$PORT2" && port_open "$LINK2_PORT" && return 0
    sleep 0.05
  done
  log "inspircd2 not ready on :$PORT2 and :$LINK2_PORT (server link) after 15 s"
  tail -20 "$P/inspircd2.log" >&2
  exit 1
}

# Ready when Atheme has linked and synced (its log says so); polled every 50 ms.
start_atheme() {
  local i
  write_atheme_config
  : >"$P/atheme.log"
  atheme-services -n -c "$A/atheme.conf" -D "$A" -l "$A/atheme-file.log" -p "$A/atheme.pidfile" >"$P/atheme.log" 2>&1 &
  echo $! >"$ATHEME_PIDFILE"
  for ((i = 0; i < 300; i++)); do
    alive "$(cat "$ATHEME_PIDFILE")" || { log "atheme died; log:"; tail -20 "$P/atheme.log" >&2; rm -f "$ATHEME_PIDFILE"; exit 1; }
    grep -q 'finished synching with uplink' "$P/atheme.log" && return 0
    sleep 0.05
  done
  log "atheme did not finish synching with inspircd on :$LINK_PORT after 15 s; log:"
  tail -20 "$P/atheme.log" >&2
  exit 1
}

start_ngircd() {
  local i
  need_free "$NG_PORT"
  write_ngircd_config
  ngircd -n -f "$N/ngircd.conf" >"$P/ngircd.log" 2>&1 &
  echo $! >"$NGIRCD_PIDFILE"
  for ((i = 0; i < 300; i++)); do
    alive "$(cat "$NGIRCD_PIDFILE")" || { log "ngircd died; log:"; tail -20 "$P/ngircd.log" >&2; rm -f "$NGIRCD_PIDFILE"; exit 1; }
    port_open "$NG_PORT" && return 0
    sleep 0.05
  done
  log "ngircd not ready on :$NG_PORT after 15 s"
  tail -20 "$P/ngircd.log" >&2
  exit 1
}

start() {
  local name f t0
  t0=$(now_ms)
  for name in inspircd inspircd2 atheme ngircd; do
    f=$P/$name.pid
    if [ -f "$f" ] && alive "$(cat "$f")"; then
      log "$name already running (pid $(cat "$f")): run '$0 stop' first"; exit 1
    fi
  done
  command -v inspircd >/dev/null 2>&1 && command -v atheme-services >/dev/null 2>&1 && command -v ngircd >/dev/null 2>&1 ||
    { log "inspircd, atheme-services or ngircd is not installed: run '$0 install'"; exit 1; }
  ulimit -c 0 # Debian's InspIRCd 3.15 segfaults on SIGTERM; no core files
  # A failed start leaves nothing running behind it.
  trap 'stop >/dev/null 2>&1' ERR EXIT
  start_inspircd
  start_ngircd # while Atheme connects
  start_inspircd2
  start_atheme
  trap - ERR EXIT
  log "inspircd ready on 127.0.0.1:$PORT and :$TLS_PORT (TLS) (pid $(cat "$PIDFILE")), atheme linked on :$LINK_PORT" \
    "(pid $(cat "$ATHEME_PIDFILE")), ngircd on :$NG_PORT (pid $(cat "$NGIRCD_PIDFILE")), inspircd2 on :$PORT2" \
    "(unlinked, links on :$LINK2_PORT; pid $(cat "$PIDFILE2")) in $(($(now_ms) - t0)) ms"
}

install_inspircd() {
  command -v inspircd >/dev/null 2>&1 || apt_ensure inspircd
  command -v inspircd >/dev/null 2>&1 || { log "inspircd installed but not on PATH"; exit 1; }
}

# Only the first InspIRCd, plaintext (for `switchboard demo`).
start_only_inspircd() {
  local t0; t0=$(now_ms)
  if [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    log "inspircd already running (pid $(cat "$PIDFILE")): run '$0 stop' first"; exit 1
  fi
  command -v inspircd >/dev/null 2>&1 || { log "inspircd is not installed: run '$0 install-inspircd'"; exit 1; }
  ulimit -c 0
  start_inspircd minimal
  log "inspircd ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE")) in $(($(now_ms) - t0)) ms"
}

stop() {
  stop_pidfile atheme "$ATHEME_PIDFILE" atheme-services
  stop_pidfile ngircd "$NGIRCD_PIDFILE" ngircd
  stop_pidfile inspircd2 "$PIDFILE2" inspircd
  stop_pidfile inspircd "$PIDFILE" inspircd
}

# What the tests get (one VAR=value a line): InspIRCd (plaintext, with SASL through Atheme's
# NickServ), its TLS port and self-signed certificate (the CA to trust), ngIRCd (a minimal RFC-only
# server, plaintext) and a second InspIRCd the netsplit tests link to the first and split off.
env_for_tests() {
  echo "SWITCHBOARD_TEST_IRC_PORT=$PORT"
  echo "SWITCHBOARD_TEST_IRC_TLS_PORT=$TLS_PORT"
  echo "SWITCHBOARD_TEST_IRC_CA=$D/cert.pem"
  echo "SWITCHBOARD_TEST_NGIRCD_PORT=$NG_PORT"
  echo "SWITCHBOARD_TEST_IRC2_PORT=$PORT2"
}

cmd=${1:-}; shift || true
case $cmd in
  install) install ;;
  start) start ;;
  install-inspircd) install_inspircd ;;
  start-inspircd) start_only_inspircd ;;
  stop) stop ;;
  env) env_for_tests ;;
  *) echo "usage: $0 install | start | stop | env | install-inspircd | start-inspircd"; exit 2 ;;
esac

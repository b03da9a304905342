#!/usr/bin/env bash
# Real mail servers on 127.0.0.1 for the email bridge's integration tests:
# - Dovecot 2.3 (imapd + lmtpd): IMAP on MAIL_IMAP_PORT (plaintext, PLAIN/LOGIN allowed on loopback)
#   and LMTP on MAIL_LMTP_PORT, Maildirs under $PEERS_DIR/mailserver/mail, users from a passwd-file;
#   IMAPS (implicit TLS) on MAIL_IMAPS_PORT with a self-signed certificate for localhost/127.0.0.1
#   ($PEERS_DIR/mailserver/cert.pem, the CA to trust).
# - OpenSMTPD 6.8: SMTP on MAIL_SMTP_PORT (plaintext, no AUTH: OpenSMTPD offers AUTH only over TLS)
#   relaying every mail for @localhost to Dovecot's LMTP. The bridge submits there without AUTH in
#   the tests (a loopback listener: the same as an MTA on the bridge's own host). OpenSMTPD 6.8's TLS
#   fails on this OpenSSL 3 (every handshake ends in "SSL routines::EVP lib"), so TLS is tested on
#   Dovecot's IMAPS.
# Users (password `<user>pw`): alice, bob and bridge, all @localhost. Mail for anyone else @localhost
# is refused by Dovecot (unknown user). Mail to `user+folder@localhost` lands in that user's folder
# `folder` when it exists (else INBOX): each test file watches a folder of its own. Mailboxes start
# empty on each `start`.
# usage: mail.sh install | start | stop | env | stop-dovecot | start-dovecot
# (stop-dovecot and start-dovecot: Dovecot alone, its mailboxes kept, for a test that restarts the
# IMAP server under a connected bridge.)
# env: PEERS_DIR (state, default $REPO/.peers), MAIL_IMAP_PORT (default 11143), MAIL_LMTP_PORT
#      (default 12424), MAIL_SMTP_PORT (default 12525), MAIL_IMAPS_PORT (default 12587).
# `env` prints what the tests get: SWITCHBOARD_TEST_MAIL_IMAP_PORT, SWITCHBOARD_TEST_MAIL_LMTP_PORT
# and SWITCHBOARD_TEST_MAIL_SMTP_PORT (all plaintext on 127.0.0.1; SMTP without AUTH),
# SWITCHBOARD_TEST_MAIL_IMAPS_PORT and SWITCHBOARD_TEST_MAIL_CA (its certificate), and
# SWITCHBOARD_TEST_MAIL_DIR (the Maildirs, <user>/Maildir).
# Gotchas (../shared/peers/README.md section 3): the dovecot-core postinst is slow (~40 s first
# install); Dovecot takes 1-3 s to exit after SIGTERM; OpenSMTPD needs `virtual <vusers>` or it
# answers 550 for anyone who is not a Unix user.
set -euo pipefail
# shellcheck source=test/peers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
IMAP_PORT=${MAIL_IMAP_PORT:-11143}
LMTP_PORT=${MAIL_LMTP_PORT:-12424}
SMTP_PORT=${MAIL_SMTP_PORT:-12525}
IMAPS_PORT=${MAIL_IMAPS_PORT:-12587}
# Dovecot reads its users and writes Maildirs as the `dovecot` and `mail` users: when they cannot
# reach $PEERS_DIR (a checkout in a folder of mode 700, as mktemp -d makes), the mail servers' state
# lives in /tmp instead, removed at stop (as test/peers/postgres.sh does).
mail_dir() {
  local u
  if [ "$(id -u)" = 0 ]; then
    for u in dovecot mail; do
      if id "$u" >/dev/null 2>&1 && ! setpriv --reuid="$u" --regid="$u" --init-groups test -x "$P" 2>/dev/null; then
        echo "${TMPDIR:-/tmp}/switchboard-mail-$(printf '%s' "$P" | md5sum | cut -c1-12)"
        return
      fi
    done
  fi
  echo "$P/mailserver"
}
M=$(mail_dir)
DOVECOT_PIDFILE=$P/dovecot.pid
SMTPD_PIDFILE=$P/smtpd.pid

install() {
  command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/lmtp ] && [ -x /usr/lib/dovecot/imap ] ||
    apt_ensure dovecot-imapd dovecot-lmtpd
  command -v dovecot >/dev/null 2>&1 || { log "dovecot installed but not on PATH"; exit 1; }
  command -v smtpd >/dev/null 2>&1 || apt_ensure opensmtpd
  command -v smtpd >/dev/null 2>&1 || { log "opensmtpd installed but not on PATH"; exit 1; }
  command -v openssl >/dev/null 2>&1 || apt_ensure openssl
  log "dovecot: $(dovecot --version 2>/dev/null | head -1 || echo installed)"
}

config() {
  # Each run starts with empty mailboxes (test state only, under this run's own PEERS_DIR).
  case "$M" in /*/mailserver | */switchboard-mail-????????????) rm -rf "$M/mail" ;; esac
  mkdir -p "$M/mail" "$M/dovecot-run" "$M/dovecot-state"
  chown mail:mail "$M/mail"
  printf '%s:{PLAIN}%spw\n' alice alice bob bob bridge bridge >"$M/dovecot-users"
  cat >"$M/dovecot.conf" <<CONF
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $M/dovecot-run
state_dir = $M/dovecot-state
log_path = /dev/stderr
ssl = yes
ssl_cert = <$M/cert.pem
ssl_key = <$M/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
first_valid_uid = 8
mail_uid = mail
mail_gid = mail
mail_location = maildir:$M/mail/%u/Maildir
login_trusted_networks = 127.0.0.0/8
mail_max_userip_connections = 1000
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $M/dovecot-users
}
userdb {
  driver = static
  args = home=$M/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
CONF
  if [ ! -f "$M/cert.pem" ] || [ ! -f "$M/key.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$M/key.pem" -out "$M/cert.pem" 2>/dev/null
  fi
  echo '@localhost mail' >"$M/smtpd-vusers"
  cat >"$M/smtpd.conf" <<CONF
table vusers file:$M/smtpd-vusers
listen on 127.0.0.1 port $SMTP_PORT
action "dovecot" lmtp "127.0.0.1:$LMTP_PORT" rcpt-to virtual <vusers>
match from any for domain "localhost" action "dovecot"
CONF
  chmod 600 "$M/smtpd.conf"
}

wait_ports() { # wait_ports NAME PID PORT...
  local name=$1 pid=$2 p i
  shift 2
  for p in "$@"; do
    for ((i = 0; i < 200; i++)); do
      port_open "$p" && break
      alive "$pid" || { log "$name exited; see $M/$name.log"; tail -20 "$M/$name.log" >&2; return 1; }
      sleep 0.05
    done
    port_open "$p" || { log "$name did not listen on $p in 10 s; see $M/$name.log"; return 1; }
  done
}

start() {
  need_free "$IMAP_PORT" "$LMTP_PORT" "$SMTP_PORT" "$IMAPS_PORT"
  config
  local t0
  t0=$(now_ms)
  : >"$M/dovecot.log"
  start_dovecot
  smtpd -n -f "$M/smtpd.conf" >"$M/smtpd.log" 2>&1 || { log "smtpd.conf is invalid:"; cat "$M/smtpd.log" >&2; return 1; }
  smtpd -d -f "$M/smtpd.conf" >"$M/smtpd.log" 2>&1 &
  echo $! >"$SMTPD_PIDFILE"
  wait_ports smtpd "$(cat "$SMTPD_PIDFILE")" "$SMTP_PORT"
  log "dovecot (imap $IMAP_PORT, imaps $IMAPS_PORT, lmtp $LMTP_PORT) and opensmtpd (smtp $SMTP_PORT) up in $(($(now_ms) - t0)) ms"
}

start_dovecot() {
  dovecot -F -c "$M/dovecot.conf" >>"$M/dovecot.log" 2>&1 </dev/null &
  echo $! >"$DOVECOT_PIDFILE"
  wait_ports dovecot "$(cat "$DOVECOT_PIDFILE")" "$IMAP_PORT" "$LMTP_PORT" "$IMAPS_PORT"
}

# Dovecot's master, then what is left of its processes (by PID, taken before): a client's imap
# process outlives the master here (it keeps an IDLE connection open), as it would not in a real
# restart.
stop_dovecot() {
  local pid k kids=()
  if [ -f "$DOVECOT_PIDFILE" ]; then
    pid=$(cat "$DOVECOT_PIDFILE")
    [ -n "$pid" ] && mapfile -t kids < <(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  fi
  stop_pidfile dovecot "$DOVECOT_PIDFILE" dovecot
  for k in "${kids[@]}"; do
    k=${k// /}
    [ -n "$k" ] && alive "$k" || continue
    tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null | grep -qF dovecot && kill "$k" 2>/dev/null || true
  done
}

stop() {
  stop_pidfile smtpd "$SMTPD_PIDFILE" smtpd
  stop_dovecot
  # Only the /tmp fallback, only a folder of the name mail_dir makes, only when nothing runs there.
  case $M in
    "${TMPDIR:-/tmp}"/switchboard-mail-????????????)
      [ -f "$DOVECOT_PIDFILE" ] || [ -f "$SMTPD_PIDFILE" ] || rm -rf -- "$M" ;;
  esac
}

# What the tests get (test/run.sh exports these lines).
env_for_tests() {
  echo "SWITCHBOARD_TEST_MAIL_DIR=$M/mail"
  echo "SWITCHBOARD_TEST_MAIL_IMAP_PORT=$IMAP_PORT"
  echo "SWITCHBOARD_TEST_MAIL_LMTP_PORT=$LMTP_PORT"
  echo "SWITCHBOARD_TEST_MAIL_SMTP_PORT=$SMTP_PORT"
  echo "SWITCHBOARD_TEST_MAIL_IMAPS_PORT=$IMAPS_PORT"
  echo "SWITCHBOARD_TEST_MAIL_CA=$M/cert.pem"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_for_tests ;;
  # Dovecot alone, its mail kept (the tests restart the IMAP server under a connected bridge).
  stop-dovecot) stop_dovecot ;;
  start-dovecot) start_dovecot && log "dovecot started again (mail kept)" ;;
  *) echo "usage: $0 install | start | stop | env | stop-dovecot | start-dovecot" >&2; exit 2 ;;
esac

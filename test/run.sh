#!/usr/bin/env bash
# The test command (`npm test`, also what CI runs): installs what is missing, starts PostgreSQL and
# Synapse on 127.0.0.1, runs vitest, and stops both on exit (by PID, whatever happens).
# usage: bash test/run.sh [vitest args]     e.g.  npm test -- test/integration    npm test -- --project unit
# env:   PEERS_DIR (state, default .peers), HS_PORT (18008), PG_PORT (15432), IRC_PORT (16667), IRC_TLS_PORT (IRC_PORT+30: 16697), SYNAPSE_VERSION (1.163.2),
#        SYNAPSE_VENV (default $PEERS_DIR/synapse-venv: point it at an existing venv with the pinned version)
# The tests get: SWITCHBOARD_TEST_HS_URL, SWITCHBOARD_TEST_HS_SERVER_NAME, SWITCHBOARD_TEST_HS_SECRET,
#        SWITCHBOARD_TEST_REGISTRATION, SWITCHBOARD_TEST_PG_URL, SWITCHBOARD_TEST_PEERS_DIR,
#        SWITCHBOARD_TEST_IRC_PORT (InspIRCd, plaintext on 127.0.0.1, with SASL through Atheme's NickServ),
#        SWITCHBOARD_TEST_IRC_TLS_PORT (its TLS port), SWITCHBOARD_TEST_IRC_CA (its self-signed certificate,
#        the CA to trust), SWITCHBOARD_TEST_NGIRCD_PORT (ngIRCd, a minimal RFC-only server, plaintext) and
#        SWITCHBOARD_TEST_IRC2_PORT (a second InspIRCd the netsplit tests link to the first and split off),
#        SWITCHBOARD_TEST_XMPP_C2S_PORT and SWITCHBOARD_TEST_XMPP_COMPONENT_PORT (Prosody: client logins
#        alice, bob, carol and dave @localhost with password <name>-pw, plaintext PLAIN; MUC service
#        conference.localhost; component matrix.localhost with secret matrixsecret).
#        XMPP_C2S_PORT (15222) and XMPP_COMPONENT_PORT (15347) move Prosody's ports.
#        IRC_LINK_PORT (InspIRCd's server link for Atheme), NGIRCD_PORT, IRC2_PORT and IRC2_LINK_PORT
#        default to IRC_PORT+333, +1, +2 and +334 (17000, 16668, 16669 and 17001).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PEERS_DIR=${PEERS_DIR:-$REPO/.peers}
export HS_PORT=${HS_PORT:-18008}
export PG_PORT=${PG_PORT:-15432}
export IRC_PORT=${IRC_PORT:-16667}
export IRC_TLS_PORT=${IRC_TLS_PORT:-$((IRC_PORT + 30))}
export IRC_LINK_PORT=${IRC_LINK_PORT:-$((IRC_PORT + 333))}
export NGIRCD_PORT=${NGIRCD_PORT:-$((IRC_PORT + 1))}
export IRC2_PORT=${IRC2_PORT:-$((IRC_PORT + 2))}
export IRC2_LINK_PORT=${IRC2_LINK_PORT:-$((IRC_PORT + 334))}
export HS_SECRET=${HS_SECRET:-switchboard_test_registration_secret}
export SERVER_NAME=localhost # the registration's namespaces say :localhost
export AS_PORT=${AS_PORT:-29380}
export XMPP_C2S_PORT=${XMPP_C2S_PORT:-15222}
export XMPP_COMPONENT_PORT=${XMPP_COMPONENT_PORT:-15347}
mkdir -p "$PEERS_DIR"
# The fixed test registration, with the bridge's port moved when AS_PORT asks (two runs side by side).
REGISTRATION=$PEERS_DIR/registration.yaml
sed "s#^url: http://127.0.0.1:29380\$#url: http://127.0.0.1:$AS_PORT#" "$REPO/test/fixtures/registration.yaml" >"$REGISTRATION"

say() { printf '\n==> %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# One run per state folder at a time: a second run waits (it would stop this one's servers).
# Other runs side by side need their own PEERS_DIR, HS_PORT and PG_PORT. The servers must not
# inherit the lock's fd (9>&- below), or a killed run would leave the lock held.
exec 9>"$PEERS_DIR/run.lock"
if ! flock -n 9; then
  echo "another test run is using $PEERS_DIR: waiting for it (up to 30 min)..." >&2
  flock -w 1800 9 || { echo "gave up waiting for $PEERS_DIR/run.lock" >&2; exit 1; }
fi

if [ ! -x node_modules/.bin/vitest ]; then
  say "npm ci (node_modules is missing)"
  npm ci 9>&-
fi

say "install test servers (only what is missing)"
t0=$(now_ms)
bash test/peers/postgres.sh install 9>&-
bash test/peers/synapse.sh install 9>&-
bash test/peers/irc.sh install 9>&-
bash test/peers/xmpp.sh install 9>&-
echo "install step: $(($(now_ms) - t0)) ms"

stop_servers() {
  bash test/peers/xmpp.sh stop 9>&- || true
  bash test/peers/irc.sh stop 9>&- || true
  bash test/peers/synapse.sh stop 9>&- || true
  bash test/peers/postgres.sh stop 9>&- || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  say "stop test servers"
  stop_servers
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "start test servers"
stop_servers # leftovers of a run that was killed, found by their PID files
t0=$(now_ms)
bash test/peers/postgres.sh start 9>&-
bash test/peers/synapse.sh start "$REGISTRATION" 9>&-
bash test/peers/irc.sh start 9>&-
bash test/peers/xmpp.sh start 9>&-
echo "start step: $(($(now_ms) - t0)) ms"

export SWITCHBOARD_TEST_HS_URL=http://127.0.0.1:$HS_PORT
export SWITCHBOARD_TEST_HS_SERVER_NAME=$SERVER_NAME
export SWITCHBOARD_TEST_HS_SECRET=$HS_SECRET
export SWITCHBOARD_TEST_REGISTRATION=$REGISTRATION
export SWITCHBOARD_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/test
export SWITCHBOARD_TEST_PEERS_DIR=$PEERS_DIR
export SWITCHBOARD_TEST_IRC_PORT=$IRC_PORT
export SWITCHBOARD_TEST_IRC_TLS_PORT=$IRC_TLS_PORT
export SWITCHBOARD_TEST_IRC_CA=$PEERS_DIR/inspircd/cert.pem
export SWITCHBOARD_TEST_NGIRCD_PORT=$NGIRCD_PORT
export SWITCHBOARD_TEST_IRC2_PORT=$IRC2_PORT
export SWITCHBOARD_TEST_XMPP_C2S_PORT=$XMPP_C2S_PORT
export SWITCHBOARD_TEST_XMPP_COMPONENT_PORT=$XMPP_COMPONENT_PORT

say "vitest run $*"
npx --no-install vitest run "$@" 9>&-

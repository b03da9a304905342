#!/usr/bin/env bash
# The test command (`npm test`, also what CI runs): installs what is missing, starts every test
# server on 127.0.0.1 (once per run), runs vitest, and stops them on exit (by PID, whatever happens).
# usage: bash test/run.sh [vitest args]
#   npm test                                   everything
#   npm test -- bridges/irc                    one bridge: its unit tests and test/integration/irc-*
#   npm test -- test/integration/cli.test.ts   one file;   npm test -- --project unit   no servers used
# Each server is a script in test/peers/ (install | start | stop | env): PEERS below lists them in
# start order. A script's header names its ports (env vars with defaults) and what its `env` verb
# gives the tests (SWITCHBOARD_TEST_* variables). Two runs side by side need their own PEERS_DIR
# and ports: HS_PORT (Synapse, 18008), PG_PORT (15432), IRC_PORT (16667; the other IRC ports move
# with it), SIP_WS_PORT (18080) and SIP_PORT (15060) (Kamailio), REDIS_PORT (16379: the IRC
# connection pool's streams; the tests get SWITCHBOARD_TEST_REDIS_URL), AS_PORT (the bridge's, 29380),
# and each other bridge's server's own.
# env: PEERS_DIR (state, default .peers), SYNAPSE_VERSION (1.163.2), SYNAPSE_VENV (default
#      $PEERS_DIR/synapse-venv: point it at an existing venv with the pinned version).
# The tests also get SWITCHBOARD_TEST_REGISTRATION (the appservice registration Synapse loaded)
# and SWITCHBOARD_TEST_PEERS_DIR.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# TEST_PEERS (space-separated) runs with only some servers, e.g. two runs side by side where only
# one may start OpenSMTPD (one per machine); tests that need a server left out fail, naming it.
read -ra PEERS <<<"${TEST_PEERS:-postgres synapse irc mail sip chromium xmpp redis}"
export PEERS_DIR=${PEERS_DIR:-$REPO/.peers}
export SERVER_NAME=localhost # the registration's namespaces say :localhost
export AS_PORT=${AS_PORT:-29380}
mkdir -p "$PEERS_DIR"
# The fixed test registration, with the bridge's port moved when AS_PORT asks (two runs side by side).
REGISTRATION=$PEERS_DIR/registration.yaml
sed "s#^url: http://127.0.0.1:29380\$#url: http://127.0.0.1:$AS_PORT#" "$REPO/test/fixtures/registration.yaml" >"$REGISTRATION"

say() { printf '\n==> %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# peer NAME VERB [ARGS]: the servers must not inherit the run lock's fd (9>&-), or a killed run
# would leave the lock held.
peer() { local name=$1; shift; bash "test/peers/$name.sh" "$@" 9>&-; }

# `bridges/<id>` also selects that bridge's integration tests (test/integration/<id>-*.test.ts).
args=()
for arg in "$@"; do
  args+=("$arg")
  if [[ $arg =~ ^bridges/([a-z0-9-]+)/?$ ]]; then args+=("test/integration/${BASH_REMATCH[1]}-"); fi
done

# One run per state folder at a time: a second run waits (it would stop this one's servers).
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
for p in "${PEERS[@]}"; do peer "$p" install; done
echo "install step: $(($(now_ms) - t0)) ms"

stop_servers() {
  local i
  for ((i = ${#PEERS[@]} - 1; i >= 0; i--)); do peer "${PEERS[i]}" stop || true; done
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
for p in "${PEERS[@]}"; do
  if [ "$p" = synapse ]; then peer synapse start "$REGISTRATION"; else peer "$p" start; fi
done
echo "start step: $(($(now_ms) - t0)) ms"

export SWITCHBOARD_TEST_REGISTRATION=$REGISTRATION
export SWITCHBOARD_TEST_PEERS_DIR=$PEERS_DIR
for p in "${PEERS[@]}"; do
  vars=$(peer "$p" env)
  while IFS= read -r line; do [ -n "$line" ] && export "${line?}"; done <<<"$vars"
done

say "vitest run ${args[*]}"
npx --no-install vitest run "${args[@]}" 9>&-

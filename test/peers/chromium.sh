#!/usr/bin/env bash
# Debian's chromium for the status page's browser tests (test/integration/status-page.test.ts),
# driven headless by playwright-core, which downloads no browser. No server runs between tests:
# each test file starts its own headless browser and closes it, so `start` only checks the
# executable and `stop` has nothing to stop. No ports.
# usage: chromium.sh install | start | stop | env (what the tests get: SWITCHBOARD_TEST_CHROMIUM,
#        the executable's path)
# env:   CHROMIUM (the executable; default: chromium on PATH, from Debian's chromium package)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

exe() { if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"; else command -v chromium || true; fi; }

install() {
  [ -n "$(exe)" ] || apt_ensure chromium
  [ -n "$(exe)" ] || { log "chromium installed but not on PATH"; exit 1; }
  log "chromium: $("$(exe)" --version 2>/dev/null | head -1 || echo installed)"
}

start() {
  [ -x "$(exe)" ] || { log "chromium is missing: run bash test/peers/chromium.sh install"; exit 1; }
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) ;;
  env) echo "SWITCHBOARD_TEST_CHROMIUM=$(exe)" ;;
  *) echo "usage: $0 install | start | stop | env"; exit 2 ;;
esac

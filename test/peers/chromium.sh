#!/usr/bin/env bash
# Debian's chromium for the browser tests of the status page (driven headless by puppeteer-core,
# which downloads no browser). Nothing runs between tests: each test starts its own headless
# browser and closes it, so `start` only checks the executable and `stop` has nothing to stop.
# usage: bash test/peers/chromium.sh install | start | stop
# env:   CHROMIUM (the executable; default: chromium on PATH). The tests get its path as
#        SWITCHBOARD_TEST_CHROMIUM from test/run.sh.
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
  path) exe ;;
  *) echo "usage: $0 install | start | stop | path"; exit 2 ;;
esac

#!/usr/bin/env bash
# End-to-end tests with real clients, run by ./test.sh (ctest): the official openai package
# (openai_client.mjs) and headless Chromium driving the web page (web_ui.mjs). Both start
# `anymal serve` on a free loopback port. Usage: tests/e2e/run.sh ANYMAL_BINARY [OUT_DIR]
# (the web page's screenshot lands in OUT_DIR). setup.sh installs node, Chromium and the npm
# packages (tests/e2e/node_modules, from package-lock.json).
set -euo pipefail
here=$(dirname "$0")
export ANYMAL_BIN=$(realpath "$1")
export ANYMAL_E2E_OUT=$(realpath -m "${2:-$PWD}")
mkdir -p "$ANYMAL_E2E_OUT"
cd "$here"
if [ ! -d node_modules/openai ] || [ ! -d node_modules/playwright-core ]; then
  echo "tests/e2e: npm packages missing; run ./setup.sh" >&2
  exit 1
fi
exec node --test --test-concurrency=1 openai_client.mjs web_ui.mjs

#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds anymal.cpp into build/.
# The binary lands at build/bin/anymal. Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
# The end-to-end tests' npm packages (openai, playwright-core), pinned by package-lock.json.
if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
  touch tests/e2e/node_modules
fi
jobs=$(nproc)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$jobs"

#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds anymal.cpp into build/.
# The binary lands at build/bin/anymal. Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-deps.sh
jobs=$(nproc)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$jobs"

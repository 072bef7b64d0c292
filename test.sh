#!/usr/bin/env bash
# Builds when needed, then runs the whole test suite. Exits non-zero on any failure.
# Extra arguments go to ctest (e.g. ./test.sh -R gradcheck).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"

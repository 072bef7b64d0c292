#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and fuzzes the GGUF reader.
# Usage: fuzz/run.sh [seconds=600]. Seeds: the GGUF files of ../shared/fixtures and a sample
# written by the tests. Findings land in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYMAL_FUZZ=ON > /dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_gguf
mkdir -p build-fuzz/corpus build-fuzz/findings
for f in ../shared/fixtures/*/*.gguf; do [ -f "$f" ] && head -c 65536 "$f" > "build-fuzz/corpus/$(basename "$f")"; done
build-fuzz/bin/fuzz_gguf build-fuzz/corpus -max_total_time="$seconds" -max_len=65536 \
  -artifact_prefix=build-fuzz/findings/ -print_final_stats=1

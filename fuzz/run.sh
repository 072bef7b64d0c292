#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and fuzzes one of them.
# Usage: fuzz/run.sh [seconds=600] [target=gguf|image].
# Seeds: gguf — the GGUF files of ../shared/fixtures; image — the fixture images and the small
# PNG/JPEG/BMP/PPM samples image_fuzz_seeds writes. Findings land in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
target=${2:-gguf}
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYMAL_FUZZ=ON > /dev/null
mkdir -p build-fuzz/findings
case "$target" in
  gguf)
    cmake --build build-fuzz -j "$(nproc)" --target fuzz_gguf
    mkdir -p build-fuzz/corpus
    for f in ../shared/fixtures/*/*.gguf; do [ -f "$f" ] && head -c 65536 "$f" > "build-fuzz/corpus/$(basename "$f")"; done
    build-fuzz/bin/fuzz_gguf build-fuzz/corpus -max_total_time="$seconds" -max_len=65536 \
      -artifact_prefix=build-fuzz/findings/ -print_final_stats=1
    ;;
  image)
    cmake --build build-fuzz -j "$(nproc)" --target fuzz_image image_fuzz_seeds
    mkdir -p build-fuzz/corpus-image
    build-fuzz/bin/image_fuzz_seeds build-fuzz/corpus-image
    for f in ../shared/fixtures/vision/images/*; do [ -f "$f" ] && cp -f "$f" build-fuzz/corpus-image/; done
    # -timeout: a slow input (a decompression bomb, endless scans) counts as a finding.
    build-fuzz/bin/fuzz_image build-fuzz/corpus-image -max_total_time="$seconds" -max_len=65536 \
      -timeout=10 -artifact_prefix=build-fuzz/findings/image- -print_final_stats=1
    ;;
  *)
    echo "unknown fuzz target '$target' (gguf or image)" >&2
    exit 2
    ;;
esac

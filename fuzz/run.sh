#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and fuzzes one of them.
# Usage: fuzz/run.sh [seconds=600] [target=gguf|image|safetensors].
# Seeds: gguf — the GGUF files of ../shared/fixtures; image — the fixture images and the small
# PNG/JPEG/BMP/PPM samples image_fuzz_seeds writes; safetensors — the fixture checkpoint's
# header with its first tensors, and its tokenizer.model. Findings land in build-fuzz/findings/.
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
  safetensors)
    cmake --build build-fuzz -j "$(nproc)" --target fuzz_safetensors
    mkdir -p build-fuzz/corpus-safetensors
    hf=../shared/fixtures/hf/tiny-hf-llama
    head -c 16384 "$hf/model.safetensors" > build-fuzz/corpus-safetensors/model.safetensors
    cp -f "$hf/tokenizer.model" build-fuzz/corpus-safetensors/
    # A small complete file too: three dtypes, metadata, an empty tensor.
    /usr/bin/python3 -c '
import json, struct, sys
h = {"__metadata__": {"format": "pt"},
     "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
     "b": {"dtype": "F16", "shape": [4], "data_offsets": [16, 24]},
     "c": {"dtype": "BF16", "shape": [0, 3], "data_offsets": [24, 24]}}
hb = json.dumps(h).encode(); hb += b" " * (-len(hb) % 8)
sys.stdout.buffer.write(struct.pack("<Q", len(hb)) + hb + bytes(range(24)))
' > build-fuzz/corpus-safetensors/small.safetensors
    build-fuzz/bin/fuzz_safetensors build-fuzz/corpus-safetensors -max_total_time="$seconds" \
      -max_len=16384 -artifact_prefix=build-fuzz/findings/safetensors- -print_final_stats=1
    ;;
  *)
    echo "unknown fuzz target '$target' (gguf, image or safetensors)" >&2
    exit 2
    ;;
esac

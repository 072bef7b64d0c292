#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and fuzzes one of them.
# Usage: fuzz/run.sh [seconds=600] [target=gguf|image|safetensors|chat_request].
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
  chat_request)
    cmake --build build-fuzz -j "$(nproc)" --target fuzz_chat_request
    c=build-fuzz/corpus-chat_request
    mkdir -p "$c"
    png=$(base64 -w0 examples/butterfly.png)
    printf '%s' '{"messages":[{"role":"user","content":"hi"}]}' > "$c/text.json"
    printf '%s' '{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,'"$png"'"}}]},{"role":"assistant","content":"A cup."},{"role":"user","content":"Sure?"}],"max_tokens":16,"temperature":0.5,"top_p":0.9,"seed":7,"stop":["\n","END"],"stream":true,"stream_options":{"include_usage":true},"n":1}' > "$c/full.json"
    printf '%s' 'data:image/jpeg;name=a.jpg;base64,/9j/4AAQSkZJRg==' > "$c/uri.txt"
    build-fuzz/bin/fuzz_chat_request "$c" -max_total_time="$seconds" -max_len=16384 \
      -artifact_prefix=build-fuzz/findings/chat_request- -print_final_stats=1
    ;;
  *)
    echo "unknown fuzz target '$target' (gguf, image, safetensors or chat_request)" >&2
    exit 2
    ;;
esac

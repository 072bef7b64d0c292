#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and fuzzes one of them.
# Usage: fuzz/run.sh [seconds=600] [target=gguf|image|safetensors|chat_request|audio_imu].
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
    printf '%s' '{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}},{"type":"input_imu","input_imu":{"data":"dCxheCxheSxheixneCxneSxneg==","format":"csv"}},{"type":"text","text":"What am I doing?"}]}]}' > "$c/audio_imu.json"
    build-fuzz/bin/fuzz_chat_request "$c" -max_total_time="$seconds" -max_len=16384 \
      -artifact_prefix=build-fuzz/findings/chat_request- -print_final_stats=1
    ;;
  audio_imu)
    cmake --build build-fuzz -j "$(nproc)" --target fuzz_audio_imu
    c=build-fuzz/corpus-audio_imu
    mkdir -p "$c"
    # Seeds: a short WAV (16-bit, 8 kHz), the same as 8-bit and float WAV, and IMU CSVs.
    /usr/bin/python3 -c '
import math, struct, sys, wave
out = sys.argv[1]
frames = [int(8000 * math.sin(i / 5)) for i in range(400)]
with wave.open(out + "/a16.wav", "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(struct.pack("<%dh" % len(frames), *frames))
with wave.open(out + "/a8.wav", "wb") as w:
    w.setnchannels(2); w.setsampwidth(1); w.setframerate(11025)
    w.writeframes(bytes((f // 256 + 128) & 255 for f in frames))
' "$c"
    printf 't,ax,ay,az,gx,gy,gz
0,0.1,0.2,9.8,0,0,0
0.02,0.2,0.1,9.7,0.1,0,0
0.04,0.1,0.3,9.9,0,0.1,0
' > "$c/imu.csv"
    printf 'gz,t,ax,ay,az,gx,gy,extra
1,0,1,2,3,4,5,x
2,1e-2,1,2,3,4,5,y
' > "$c/imu_order.csv"
    build-fuzz/bin/fuzz_audio_imu "$c" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
      -artifact_prefix=build-fuzz/findings/audio_imu- -print_final_stats=1
    ;;
  *)
    echo "unknown fuzz target '$target' (gguf, image, safetensors, chat_request or audio_imu)" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Trains the bundled demo model from scratch, in two runs:
#  1. vision: the synthetic glasses world (20000 training scenes, 600 test scenes, 80 px),
#     configs/demo.json (text pretraining, CLIP encoder pretraining, caption alignment,
#     instruction tuning with LoRA) into runs/demo;
#  2. hearing and motion: sounds and IMU traces (6000 each, 300 test), spoken questions
#     (8000, 600 test) and combined image + motion + spoken questions (4800, 600 test),
#     configs/demo_av.json
#     (contrastive pretraining of the audio and IMU towers, then joint instruction tuning over
#     image, sound and motion tasks: the towers, their projectors and LoRA) from run 1's
#     export into runs/demo_av.
# Then evaluation on the test splits and the exported files copied to models/demo/.
# Resumable: run it again after an interruption and training continues from the newest
# checkpoint.
# Usage: scripts/train_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/anymal
[ -x "$bin" ] || ./setup.sh
[ -f data/synth/train.jsonl ] || "$bin" data synth --out data/synth --n 20000 --seed 1 --split train --size 80
[ -f data/synth/test.jsonl ] || "$bin" data synth --out data/synth --n 600 --seed 1 --split test --size 80
# Run 2 mixes in 8000 of the scenes (the same first 8000: the generator is deterministic).
[ -f data/av/train.jsonl ] || "$bin" data synth --out data/av --n 8000 --seed 1 --split train --size 80
for m in sound motion; do
  [ -f data/av/train.$m.jsonl ] || "$bin" data synth --out data/av --n 6000 --seed 1 --split train --modality $m
  [ -f data/av/test.$m.jsonl ] || "$bin" data synth --out data/av --n 300 --seed 1 --split test --modality $m
done
[ -f data/av/train.speech.jsonl ] || "$bin" data synth --out data/av --n 8000 --seed 1 --split train --size 80 --modality speech
[ -f data/av/test.speech.jsonl ] || "$bin" data synth --out data/av --n 600 --seed 1 --split test --size 80 --modality speech
[ -f data/av/train.combined.jsonl ] || "$bin" data synth --out data/av --n 4800 --seed 1 --split train --size 80 --modality combined
[ -f data/av/test.combined.jsonl ] || "$bin" data synth --out data/av --n 600 --seed 1 --split test --size 80 --modality combined
train() {  # CONFIG RUN_DIR
  [ -f "$2/export/model.gguf" ] && return
  local resume=()
  ls "$2"/ckpt-*.gguf > /dev/null 2>&1 && resume=(--resume)
  "$bin" train "$1" --out "$2" "${resume[@]}"
}
train configs/demo.json runs/demo
train configs/demo_av.json runs/demo_av
"$bin" eval -m runs/demo_av --data data/synth/test.jsonl --json runs/demo_av/eval.json
"$bin" eval -m runs/demo_av --data data/av/test.sound.jsonl --data data/av/test.motion.jsonl \
  --json runs/demo_av/eval_av.json
"$bin" eval -m runs/demo_av --data data/av/test.speech.jsonl --json runs/demo_av/eval_speech.json
"$bin" eval -m runs/demo_av --data data/av/test.combined.jsonl --json runs/demo_av/eval_combined.json
mkdir -p models/demo
cp runs/demo_av/export/mmproj.gguf models/demo/
# The language model ships as bf16: same accuracy as f16 on every test split, and batched
# decoding runs on AVX512-BF16 dot products at twice the f32 rate (serving 8 streams: +24%).
"$bin" quantize runs/demo_av/export/model.gguf models/demo/model.gguf bf16
cp runs/demo/loss.png models/demo/loss.png
cp runs/demo_av/loss.png models/demo/loss_av.png
echo "models/demo updated; per-task accuracy in runs/demo_av/eval.json and eval_av.json"

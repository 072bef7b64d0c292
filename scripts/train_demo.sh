#!/usr/bin/env bash
# Trains the bundled demo model from scratch: the synthetic glasses world (20000 training
# scenes, 600 test scenes, 80 px), configs/demo.json (text pretraining, CLIP encoder
# pretraining, caption alignment, instruction tuning with LoRA), evaluation on the test split,
# then the exported files copied to models/demo/. Resumable: run it again after an
# interruption and training continues from the newest checkpoint.
# Usage: scripts/train_demo.sh [RUN_DIR=runs/demo]
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/demo}
bin=build/bin/anymal
[ -x "$bin" ] || ./setup.sh
[ -f data/synth/train.jsonl ] || "$bin" data synth --out data/synth --n 20000 --seed 1 --split train --size 80
[ -f data/synth/test.jsonl ] || "$bin" data synth --out data/synth --n 600 --seed 1 --split test --size 80
if [ ! -f "$run/export/model.gguf" ]; then
  resume=()
  ls "$run"/ckpt-*.gguf > /dev/null 2>&1 && resume=(--resume)
  "$bin" train configs/demo.json --out "$run" "${resume[@]}"
fi
"$bin" eval -m "$run" --data data/synth/test.jsonl --json "$run/eval.json"
mkdir -p models/demo
cp "$run/export/model.gguf" "$run/export/mmproj.gguf" models/demo/
cp "$run/loss.png" models/demo/loss.png
echo "models/demo updated; per-task accuracy in $run/eval.json"

#!/usr/bin/env bash
# Hearing and motion through the CLI in miniature (configs/mini_av.json): sounds, IMU traces
# and spoken questions synthesized, a model with audio and IMU towers trained from scratch
# (text, contrastive audio and IMU pretraining, joint instruction tuning), killed once and
# resumed to the same bytes, exported, asked, and evaluated: sound and activity answers must
# beat chance. Usage: av_recipe.sh ANYMAL_BINARY CONFIG
set -euo pipefail
anymal=$1
config=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for m in sound motion; do
  "$anymal" data synth --out "$tmp/data" --n 600 --seed 1 --split train --modality $m > /dev/null
  "$anymal" data synth --out "$tmp/data" --n 60 --seed 1 --split test --modality $m > /dev/null
done
"$anymal" data synth --out "$tmp/data" --n 100 --seed 1 --split train --size 80 --modality speech > /dev/null
cp "$config" "$tmp/mini_av.json"
start=$(date +%s)
"$anymal" train "$tmp/mini_av.json" --out "$tmp/a" --quiet 2> "$tmp/a.log" || fail "train: $(cat "$tmp/a.log")"
echo "uninterrupted run: $(( $(date +%s) - start )) s"

# Killed once (in the contrastive stages), resumed, left to finish: the same bytes.
"$anymal" train "$tmp/mini_av.json" --out "$tmp/b" --quiet 2> "$tmp/b.log" &
pid=$!
for _ in $(seq 50); do
  sleep 0.2
  ls "$tmp/b"/ckpt-001-*.gguf > /dev/null 2>&1 && break
done
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
"$anymal" train "$tmp/mini_av.json" --out "$tmp/b" --quiet --resume 2>> "$tmp/b.log" ||
  fail "resume: $(tail -3 "$tmp/b.log")"
for f in export/model.gguf export/mmproj.gguf; do
  cmp -s "$tmp/a/$f" "$tmp/b/$f" || fail "$f differs after kill -9 and --resume"
done
echo "killed and resumed: model.gguf, mmproj.gguf identical"

"$anymal" inspect "$tmp/a/export/mmproj.gguf" > "$tmp/inspect.txt"
for key in clip.has_audio_encoder clip.audio.block_count anymal.has_imu_encoder a.blk.0.attn_q.weight \
  mm.a.mlp.0.weight imu.conv1d.1.weight mm.imu.mlp.2.weight; do
  grep -q "$key" "$tmp/inspect.txt" || fail "the mmproj has no $key"
done
answer=$("$anymal" ask -m "$tmp/a/export/model.gguf" --mmproj "$tmp/a/export/mmproj.gguf" \
  --audio "$tmp/data/audio/test_000000.wav" "What's that sound?" -n 8)
[ -n "$answer" ] || fail "empty answer"
"$anymal" eval -m "$tmp/a" --data "$tmp/data/test.sound.jsonl" --data "$tmp/data/test.motion.jsonl" \
  --json "$tmp/eval.json"
# Chance: 1/6 sounds, 1/4 activities. Deterministic on a given machine and thread count.
/usr/bin/python3 - "$tmp/eval.json" <<'PY'
import json, sys
acc = json.load(open(sys.argv[1]))
print(f"sound {acc['sound']:.3f} (chance 0.167), activity {acc['activity']:.3f} (chance 0.25)")
assert acc["sound"] > 0.6 and acc["activity"] > 0.6, "the miniature did not learn to hear and feel"
PY

# Sourced by the MPI checks. tiny_mpi_recipe ANYMAL DIR writes DIR/data (200 synthetic
# examples), DIR/recipe.json (text pretraining, then projector + ViT + LoRA instruction
# tuning of a miniature model, checkpoints every 5 steps) and DIR/accumulate.json (the same
# with every stage in two micro-batches: what one process runs to match two).
tiny_mpi_recipe() {
  "$1" data synth --out "$2/data" --n 200 --seed 1 --split train --size 80 > /dev/null
  cat > "$2/recipe.json" << 'JSON'
{"seed": 1, "data": {"train": "data/train.jsonl"}, "tokenizer": {"vocab_size": 300},
 "model": {"lm": {"dim": 32, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "ff": 64, "ctx": 96},
           "vit": {"image_size": 32, "patch": 8, "dim": 24, "n_layer": 1, "n_head": 2, "ff": 48}},
 "checkpoint": {"every": 5, "keep": 10}, "log_every": 5,
 "stages": [
   {"name": "text", "kind": "text", "steps": 10, "batch": 8, "lr": 3e-3, "train": ["lm"]},
   {"name": "instruct", "kind": "multimodal", "steps": 10, "batch": 8, "lr": 3e-3,
    "train": ["projector", "vit", "lora"], "lora_rank": 4}]}
JSON
  /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for st in r["stages"]: st["accumulate"] = 2
json.dump(r, open(sys.argv[2], "w"))' "$2/recipe.json" "$2/accumulate.json"
}

# rank_one_of RUN_DIR PATTERN: once RUN_DIR holds a checkpoint of stage 1, the pid of the
# rank-1 process whose command line matches PATTERN (empty when the run already ended).
rank_one_of() {
  for _ in $(seq 300); do
    sleep 0.1
    ls "$1"/ckpt-001-*.gguf > /dev/null 2>&1 && break
  done
  for pid in $(pgrep -f "$2"); do
    tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && echo "$pid"
  done
}

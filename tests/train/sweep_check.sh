#!/usr/bin/env bash
# `anymal sweep` through the CLI on a tiny recipe: four runs (both families), one of which
# fails (its resampler's tokens overflow the context); the sweep is killed with
# SIGKILL after the first run finishes and started again: finished runs are not rerun, the
# failed run is recorded with its log and the others complete; the report prints the table and
# writes the Pareto plot; the cross-attention run answers `ask`; the Slurm job array it writes runs a task for real; bad configs, a
# busy sweep directory and a damaged database are clear errors.
# Usage: sweep_check.sh ANYMAL_BINARY
set -euo pipefail
anymal=$1
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$anymal" data synth --out "$tmp/data" --n 200 --seed 1 --split train --size 80 > /dev/null
"$anymal" data synth --out "$tmp/data" --n 24 --seed 1 --split test --size 80 > /dev/null
cat > "$tmp/recipe.json" << 'JSON'
{"seed": 1, "data": {"train": "data/train.jsonl"}, "tokenizer": {"vocab_size": 300},
 "model": {"lm": {"dim": 32, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "ff": 64, "ctx": 96},
           "vit": {"image_size": 32, "patch": 8, "dim": 24, "n_layer": 1, "n_head": 2, "ff": 48}},
 "checkpoint": {"every": 10, "keep": 1}, "log_every": 5,
 "stages": [
   {"name": "text", "kind": "text", "steps": 10, "batch": 8, "lr": 3e-3, "train": ["lm"]},
   {"name": "instruct", "kind": "multimodal", "steps": 20, "batch": 8, "lr": 3e-3,
    "train": ["projector", "lora"], "lora_rank": 4}]}
JSON
cat > "$tmp/sweep.json" << 'JSON'
{"name": "tiny", "recipe": "recipe.json",
 "axes": {"family": ["mlp", "xattn(every=1)", "resampler(depth=1,tokens=4)",
                     "resampler(depth=1,tokens=128)"]},
 "eval": {"data": "data/test.jsonl"}, "threads": 1}
JSON
dir="$tmp/sweep"

# Killed (SIGKILL, no cleanup) once the first run has its result.
"$anymal" sweep "$tmp/sweep.json" --out "$dir" --jobs 1 > "$tmp/first.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  sleep 0.1
  ls "$dir"/runs/*/result.json > /dev/null 2>&1 && break
done
kill -9 "$pid"
wait "$pid" 2> /dev/null || true
first=$(ls "$dir"/runs/*/result.json) || fail "no run finished before the kill: $(cat "$tmp/first.log")"
[ "$(echo "$first" | wc -l)" -ge 1 ] || fail "no result"
sum_before=$(md5sum $first)
sleep 0.5
pgrep -f "sweep run $dir" > /dev/null && fail "a run outlived the killed sweep"

status=0
"$anymal" sweep "$tmp/sweep.json" --out "$dir" --jobs 2 > "$tmp/second.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "one run fails, so the sweep exits 1 (got $status): $(cat "$tmp/second.log")"
grep -q "4 runs, $(echo "$first" | wc -l) finished before" "$tmp/second.log" ||
  fail "the resumed sweep did not skip the finished run: $(head -3 "$tmp/second.log")"
[ "$(md5sum $first)" = "$sum_before" ] || fail "a finished run was run again"
[ "$(ls "$dir"/runs/*/result.json | wc -l)" -eq 3 ] || fail "three runs should have results"

"$anymal" sweep report "$dir/results.db" > "$tmp/report.md" 2> /dev/null
[ "$(grep -c '| done |' "$tmp/report.md")" -eq 3 ] || fail "report: $(cat "$tmp/report.md")"
grep -q '| failed |' "$tmp/report.md" || fail "the failed run is not in the report"
grep -q 'failed resampler-d1t128.*exited with status 2' "$tmp/report.md" ||
  fail "the failure's reason is not recorded: $(grep failed "$tmp/report.md")"
grep -q 'more than the context' "$tmp/report.md" || fail "the failed run's log tail is not recorded"
grep -q '| yes |' "$tmp/report.md" || fail "no Pareto front in the report"
[ -s "$dir/pareto.png" ] || fail "no plot"
"$anymal" sweep "$tmp/sweep.json" --out "$dir" > "$tmp/third.log" 2>&1 || true
grep -q "4 runs, 4 finished before, 0 to run" "$tmp/third.log" || fail "$(cat "$tmp/third.log")"
echo "killed and resumed: 3 runs done, 1 failed and recorded, nothing rerun"
# The cross-attention run's export is asked like any model.
x=$(ls -d "$dir"/runs/xattn-every1_*/train/export)
answer=$("$anymal" ask -m "$x/model.gguf" --mmproj "$x/mmproj.gguf" -n 8 \
  --image "$tmp/data/images/test_000000.png" "What colour is it?") || fail "ask on the xattn model"
[ -n "$answer" ] || fail "ask on the xattn model gave nothing"

# Slurm: the job array for the unfinished runs, checked and one task run as Slurm would.
slurm="$tmp/slurm"
"$anymal" sweep "$tmp/sweep.json" --out "$slurm" --launcher slurm --no-submit --jobs 2 > /dev/null
script="$slurm/sweep.sbatch"
bash -n "$script" || fail "the job script does not parse"
grep -q '^#SBATCH --array=0-3%2$' "$script" || fail "array: $(grep array "$script")"
grep -q '^#SBATCH --cpus-per-task=1$' "$script" || fail "cpus: $(cat "$script")"
SLURM_ARRAY_TASK_ID=1 bash "$script" || fail "task 1 failed: $(cat "$slurm"/runs/*/log.txt)"
"$anymal" sweep report "$slurm" > "$tmp/slurm.md" 2> /dev/null
grep -q 'xattn-every1.*| done |' "$tmp/slurm.md" || fail "the task's result: $(cat "$tmp/slurm.md")"
if "$anymal" sweep "$tmp/sweep.json" --out "$slurm" --launcher slurm > "$tmp/sbatch.log" 2>&1; then
  command -v sbatch > /dev/null || fail "submitting without sbatch succeeded"
else
  grep -q "sbatch is not available" "$tmp/sbatch.log" || fail "$(cat "$tmp/sbatch.log")"
fi
echo "slurm: job array written, task 1 ran, its result reported"

# Bad input.
expect_error() {  # expect_error PATTERN COMMAND...
  local pattern=$1
  shift
  local out
  if out=$("$@" 2>&1); then fail "succeeded: $*"; fi
  echo "$out" | grep -q "$pattern" || fail "wanted '$pattern' from $*, got: $out"
}
echo '{"recipe": "recipe.json", "axes": {"depth": [1]}, "eval": {"data": "x"}}' > "$tmp/bad1.json"
expect_error 'unknown axis "depth"' "$anymal" sweep "$tmp/bad1.json" --out "$tmp/b1"
echo '{"recipe": "recipe.json", "axes": {"lr": []}, "eval": {"data": "x"}}' > "$tmp/bad2.json"
expect_error 'empty search space' "$anymal" sweep "$tmp/bad2.json" --out "$tmp/b2"
mkdir -p "$tmp/damaged" && head -c 5000 /dev/urandom > "$tmp/damaged/results.db"
expect_error 'damaged' "$anymal" sweep "$tmp/sweep.json" --out "$tmp/damaged"
exec 9> "$dir/sweep.lock"
flock 9  # this shell holds the sweep directory, as a running sweep would
expect_error 'another `anymal sweep` is running' "$anymal" sweep "$tmp/sweep.json" --out "$dir"
exec 9>&-
echo "bad configs, a busy directory and a damaged database: clear errors"

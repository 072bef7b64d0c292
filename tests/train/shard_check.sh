#!/usr/bin/env bash
# Sharded data-parallel training through mpirun on one machine (ZeRO-1/2/3: --shard
# optimizer|gradients|parameters), on the tiny recipe of mpi_check.sh:
#  - at every level, `mpirun -np 2` (half of each batch per rank, gradients in small buckets
#    reduced during backward) ends with the f32 weights of one unsharded process taking each
#    batch in two micro-batches, byte for byte, and writes one shard per rank per checkpoint;
#  - the planned memory per rank in metrics.jsonl falls with each level;
#  - a bf16 reduction follows the f32 curve closely but not exactly (it really is bf16);
#  - sharded checkpoints resume with another world size and another level, and an unsharded
#    one resumes sharded, on the same bytes;
#  - a manifest naming a missing shard, a rank given other options, and a rank that stops
#    (SIGSTOP) each end the job with a message that names the problem, never a silent hang.
# Usage: shard_check.sh ANYMAL_BINARY
set -euo pipefail
anymal=$1
command -v mpirun > /dev/null || { echo "FAIL: mpirun not found (scripts/install-deps.sh installs openmpi-bin)"; exit 1; }
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp/" 2> /dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
mpi=(timeout 120 mpirun -np 2 --oversubscribe --bind-to none --mca btl self,vader)

# shellcheck source=tests/train/tiny_mpi_recipe.sh
source "$(dirname "$0")/tiny_mpi_recipe.sh"
tiny_mpi_recipe "$anymal" "$tmp"
last=ckpt-001-00000010.gguf

# The f32 weights of a run's final checkpoint (sharded or whole), as exported files.
weights() { "$anymal" export "$1/$last" --out "$1/f32" --type f32 > /dev/null 2>&1 || fail "export $1"; }
"$anymal" --threads 1 train "$tmp/accumulate.json" --out "$tmp/one" --quiet 2> "$tmp/one.log" ||
  fail "one process: $(cat "$tmp/one.log")"
weights "$tmp/one"
for level in optimizer gradients parameters; do
  d=$tmp/$level
  "${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$d" --quiet --shard "$level" \
    --bucket-mb 0.02 > "$d.log" 2>&1 || fail "--shard $level: $(cat "$d.log")"
  for r in 0 1; do [ -s "$d/${last%.gguf}.shard-$r-of-2.gguf" ] || fail "$level: no shard $r"; done
  weights "$d"
  for f in f32/model.gguf f32/mmproj.gguf ckpt-001-00000000.gguf; do
    cmp -s "$tmp/one/$f" "$d/$f" || fail "--shard $level: $f differs from one process"
  done
done
echo "--shard optimizer|gradients|parameters with mpirun -np 2 = one process, byte for byte"

/usr/bin/python3 - "$tmp" << 'PY'
import json, sys
mem = {}
for level in ["optimizer", "gradients", "parameters"]:
    mem[level] = json.loads(open(f"{sys.argv[1]}/{level}/metrics.jsonl").readline())["memory_mib"]
print("planned MiB per rank:", mem)
assert mem["optimizer"] > mem["gradients"] > mem["parameters"] > 0, mem
PY

"${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/bf16" --quiet \
  --shard gradients --reduce-dtype bf16 > "$tmp/bf16.log" 2>&1 || fail "bf16: $(cat "$tmp/bf16.log")"
/usr/bin/python3 - "$tmp/one" "$tmp/bf16" << 'PY'
import json, sys
la = [json.loads(l)["loss"] for l in open(sys.argv[1] + "/metrics.jsonl")]
lb = [json.loads(l)["loss"] for l in open(sys.argv[2] + "/metrics.jsonl")]
worst = max(abs(x - y) / abs(x) for x, y in zip(la, lb))
print(f"bf16 reduction: loss curve within {worst:.1e} relative of f32")
assert len(la) == len(lb) and 0 < worst < 0.02, (la, lb)
PY

# Resume: -np 2 ZeRO-3's checkpoint at instruct step 5 finished by one unsharded process, and
# the unsharded one's finished by -np 2 ZeRO-2: the same weights as the uninterrupted run.
resume_from() {  # resume_from SRC DST
  mkdir -p "$2"
  cp "$1"/tokenizer.gguf "$1"/metrics.jsonl "$1"/ckpt-001-00000005*.gguf "$2"/
}
resume_from "$tmp/parameters" "$tmp/z3_then_one"
"$anymal" --threads 1 train "$tmp/accumulate.json" --out "$tmp/z3_then_one" --resume --quiet \
  2> "$tmp/r1.log" || fail "ZeRO-3 checkpoint resumed by one process: $(cat "$tmp/r1.log")"
resume_from "$tmp/one" "$tmp/one_then_z2"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/one_then_z2" --resume \
  --quiet --shard gradients > "$tmp/r2.log" 2>&1 || fail "resumed with ZeRO-2: $(cat "$tmp/r2.log")"
for d in z3_then_one one_then_z2; do
  weights "$tmp/$d"
  cmp -s "$tmp/one/f32/model.gguf" "$tmp/$d/f32/model.gguf" || fail "$d: ended elsewhere"
done
echo "resumed ZeRO-3 x2 with one process, and one process's checkpoint with ZeRO-2 x2: same bytes"

# A manifest naming a shard that is gone: every rank refuses, naming the file.
resume_from "$tmp/parameters" "$tmp/missing"
rm "$tmp/missing/ckpt-001-00000005.shard-1-of-2.gguf"
status=0
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/missing" --resume --quiet \
  --shard parameters > "$tmp/missing.log" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "missing shard: status $status"
grep -q "shard 1 of 2, .*shard-1-of-2.gguf, which is missing" "$tmp/missing.log" ||
  fail "missing shard: $(cat "$tmp/missing.log")"

# Ranks given different options are refused before anything is written.
status=0
timeout 60 mpirun --oversubscribe --bind-to none --mca btl self,vader \
  -np 1 "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/mixed" --quiet --shard gradients : \
  -np 1 "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/mixed" --quiet --shard parameters \
  > "$tmp/mixed.log" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "mixed options: status $status"
grep -q "rank 1 on .* was given another recipe or other options" "$tmp/mixed.log" ||
  fail "mixed options: $(cat "$tmp/mixed.log")"
[ ! -e "$tmp/mixed/tokenizer.gguf" ] || fail "train started despite mixed options"
# A rank that cannot read the data (its copy of the recipe sits where there is none, as on a
# host whose file system lacks it): that rank says so, by name, and the job ends.
mkdir -p "$tmp/elsewhere"
cp "$tmp/recipe.json" "$tmp/elsewhere/recipe.json"
status=0
timeout 60 mpirun --oversubscribe --bind-to none --mca btl self,vader \
  -np 1 "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/nodata" --quiet : \
  -np 1 "$anymal" --threads 1 train "$tmp/elsewhere/recipe.json" --out "$tmp/nodata" --quiet \
  > "$tmp/nodata.log" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "a rank without data: status $status"
grep -q "error: rank 1 of 2 .*elsewhere/data/train.jsonl" "$tmp/nodata.log" ||
  fail "a rank without data: $(cat "$tmp/nodata.log")"
echo "a missing shard, ranks with other options, a rank without the data: clear errors"

# A rank that stops (SIGSTOP: alive, silent) ends the job after --collective-timeout, named.
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
r["stages"][1]["steps"] = 400
json.dump(r, open(sys.argv[2], "w"))' "$tmp/recipe.json" "$tmp/long.json"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/long.json" --out "$tmp/hung" --quiet \
  --shard parameters --collective-timeout 3 > "$tmp/hung.log" 2>&1 &
job=$!
victim=$(rank_one_of "$tmp/hung" "train $tmp/long.json --out $tmp/hung")
[ -n "$victim" ] || fail "rank 1 not found (the run ended before the stop?)"
stopped_at=$(date +%s)
kill -STOP "$victim"
status=0
wait "$job" || status=$?
took=$(( $(date +%s) - stopped_at ))
kill -KILL "$victim" 2> /dev/null || true
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "the job survived a stopped rank: status $status"
[ "$took" -le 30 ] || fail "the job took $took s to stop"
grep -Eq "rank 1 on .* (never reached it|reached it but stopped answering)" "$tmp/hung.log" ||
  fail "not named: $(cat "$tmp/hung.log")"
echo "rank 1 stopped: the job ended in $took s: $(grep -o 'collective #.*answering)\|collective #.*hung)' "$tmp/hung.log" | head -1)"

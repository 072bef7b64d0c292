#!/usr/bin/env bash
# Data-parallel training through mpirun on one machine: a tiny recipe (text pretraining, then
# instruction tuning of projector, ViT and LoRA) trained by `mpirun -np 2`, each process taking
# half of every batch, ends with the same checkpoint and exports, byte for byte, as one process
# that takes each batch in two micro-batches (accumulate 2), and with the loss curve of one
# process taking whole batches; the run directory is written once; a batch that does not
# divide over the processes is a clear error on every rank, not a hang; a rank killed with
# SIGKILL ends the job within seconds naming it, and --resume finishes on the same bytes;
# `anymal doctor` reports the ranks, and a rank running another binary is refused at start.
# Usage: mpi_check.sh ANYMAL_BINARY
set -euo pipefail
anymal=$1
command -v mpirun > /dev/null || { echo "FAIL: mpirun not found (scripts/install-deps.sh installs openmpi-bin)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
mpi=(mpirun -np 2 --oversubscribe --bind-to none --mca btl self,vader)

# shellcheck source=tests/train/tiny_mpi_recipe.sh
source "$(dirname "$0")/tiny_mpi_recipe.sh"
tiny_mpi_recipe "$anymal" "$tmp"

# One process with each batch in two micro-batches does the same arithmetic as two processes
# with half a batch each (g0 + g1 either way): the same bytes. The whole batch at once sums in
# another order: the same curve within float noise.
"$anymal" --threads 1 train "$tmp/accumulate.json" --out "$tmp/one" --quiet 2> "$tmp/one.log" ||
  fail "one process, accumulate 2: $(cat "$tmp/one.log")"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/two" --quiet \
  > "$tmp/two.log" 2>&1 || fail "mpirun -np 2: $(cat "$tmp/two.log")"
grep -q "rank 1 of 2" "$tmp/two.log" || fail "no second rank: $(cat "$tmp/two.log")"
[ "$(grep -c '"stage":1' "$tmp/two/metrics.jsonl")" -eq 2 ] || fail "metrics written more than once"
last=$(basename "$(ls "$tmp/one"/ckpt-*.gguf | tail -1)")
for f in "$last" export/model.gguf export/mmproj.gguf; do
  cmp -s "$tmp/one/$f" "$tmp/two/$f" || fail "$f: mpirun -np 2 differs from one process accumulating 2"
done
echo "mpirun -np 2 = one process accumulating 2 micro-batches, byte for byte ($last, exports)"

# Resumed across world sizes: -np 2's checkpoint at instruct step 5 finished by one process,
# and one process's finished by -np 2: the same bytes as the uninterrupted runs.
resume_from() {  # resume_from SRC DST: DST holds SRC's run up to ckpt-001-00000005
  mkdir -p "$2"
  cp "$1"/tokenizer.gguf "$1"/metrics.jsonl "$1"/ckpt-001-00000005.gguf "$2"/
}
resume_from "$tmp/two" "$tmp/two_then_one"
"$anymal" --threads 1 train "$tmp/accumulate.json" --out "$tmp/two_then_one" --resume --quiet \
  2> "$tmp/r1.log" || fail "resume with one process: $(cat "$tmp/r1.log")"
resume_from "$tmp/one" "$tmp/one_then_two"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/one_then_two" --resume \
  --quiet > "$tmp/r2.log" 2>&1 || fail "resume with mpirun -np 2: $(cat "$tmp/r2.log")"
for d in two_then_one one_then_two; do
  cmp -s "$tmp/one/$last" "$tmp/$d/$last" || fail "$d: the resumed run ended elsewhere"
  cmp -s "$tmp/one/metrics.jsonl" "$tmp/$d/metrics.jsonl" 2> /dev/null ||
    diff <(cut -d, -f3 "$tmp/one/metrics.jsonl") <(cut -d, -f3 "$tmp/$d/metrics.jsonl") > /dev/null ||
    fail "$d: another loss curve"
done
echo "resumed from 2 processes with 1 and from 1 with 2: the same bytes"
"$anymal" --threads 1 train "$tmp/recipe.json" --out "$tmp/whole" --quiet 2> "$tmp/whole.log" ||
  fail "one process: $(cat "$tmp/whole.log")"
/usr/bin/python3 - "$tmp/whole" "$tmp/two" << 'PY'
import json, sys
la = [json.loads(l)["loss"] for l in open(sys.argv[1] + "/metrics.jsonl")]
lb = [json.loads(l)["loss"] for l in open(sys.argv[2] + "/metrics.jsonl")]
worst = max(abs(x - y) / abs(x) for x, y in zip(la, lb))
print(f"whole batch vs two processes: loss curves within {worst:.1e} relative over {len(la)} points")
assert len(la) == len(lb) and worst < 1e-3, (la, lb)
PY

# A rank killed with SIGKILL mid-run (training sharded ZeRO-3, so the checkpoints are per-rank
# shards and a manifest): the job ends promptly, naming it; --resume finishes with the bytes of
# an uninterrupted run.
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
r["stages"][1]["steps"] = 200
json.dump(r, open(sys.argv[2], "w"))' "$tmp/recipe.json" "$tmp/long.json"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/long.json" --out "$tmp/long" --quiet \
  --shard parameters > "$tmp/long.log" 2>&1 || fail "uninterrupted long run: $(cat "$tmp/long.log")"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/long.json" --out "$tmp/killed" --quiet \
  --shard parameters > "$tmp/killed.log" 2>&1 &
job=$!
victim=$(rank_one_of "$tmp/killed" "train $tmp/long.json --out $tmp/killed")
[ -n "$victim" ] || fail "rank 1 not found (the run ended before the kill?)"
killed_at=$(date +%s)
kill -9 "$victim"
status=0
wait "$job" || status=$?
took=$(( $(date +%s) - killed_at ))
[ "$status" -ne 0 ] || fail "the job survived losing a rank"
[ "$took" -le 60 ] || fail "the job took $took s to stop"
grep -qi "rank 1" "$tmp/killed.log" || fail "the rank is not named: $(cat "$tmp/killed.log")"
"${mpi[@]}" "$anymal" --threads 1 train "$tmp/long.json" --out "$tmp/killed" --resume --quiet \
  --shard parameters > "$tmp/resumed.log" 2>&1 || fail "--resume after the kill: $(cat "$tmp/resumed.log")"
final=$(basename "$(ls "$tmp/long"/ckpt-*.gguf | grep -v shard | tail -1)")
for d in long killed; do  # the f32 weights of the last (sharded) checkpoint
  "$anymal" export "$tmp/$d/$final" --out "$tmp/$d/f32" --type f32 > /dev/null 2>&1 || fail "export $d"
done
for f in model.gguf mmproj.gguf; do
  cmp -s "$tmp/long/f32/$f" "$tmp/killed/f32/$f" || fail "the resumed run ended elsewhere ($f)"
done
echo "rank 1 killed: the job stopped in $took s naming it; --resume ended on the same bytes"

# anymal doctor: every rank's host, threads, binary and libraries, a bandwidth figure; a rank
# running another binary (a copy with one byte more) is refused, by doctor and by train.
"${mpi[@]}" "$anymal" --threads 1 doctor --mb 1 > "$tmp/doctor.log" 2>&1 || fail "$(cat "$tmp/doctor.log")"
[ "$(grep -cE '^ +[01]  ' "$tmp/doctor.log")" -eq 2 ] || fail "doctor rows: $(cat "$tmp/doctor.log")"
grep -q "all-reduce of 1 MiB over 2 ranks: .* GB/s" "$tmp/doctor.log" || fail "no bandwidth figure"
grep -q "all 2 ranks run the same build" "$tmp/doctor.log" || fail "$(cat "$tmp/doctor.log")"
cp "$anymal" "$tmp/other-anymal" && printf 'x' >> "$tmp/other-anymal"
mpmd=(mpirun --oversubscribe --bind-to none --mca btl self,vader)
for cmd in "doctor --mb 1" "train $tmp/recipe.json --out $tmp/mixed --quiet"; do
  status=0
  # shellcheck disable=SC2086
  timeout 60 "${mpmd[@]}" -np 1 "$anymal" --threads 1 $cmd : -np 1 "$tmp/other-anymal" \
    --threads 1 $cmd > "$tmp/mixed.log" 2>&1 || status=$?
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "$cmd with two binaries: status $status"
  grep -q "rank 1 on .* runs a different anymal binary" "$tmp/mixed.log" ||
    fail "$cmd: $(cat "$tmp/mixed.log")"
done
[ ! -e "$tmp/mixed/tokenizer.gguf" ] || fail "train started despite the mismatch"
echo "doctor: 2 ranks, bandwidth, same build; a different binary refused by doctor and train"

# A batch of 8 over 3 processes: every rank says so, the job ends.
status=0
timeout 60 mpirun -np 3 --oversubscribe --bind-to none "$anymal" --threads 1 train \
  "$tmp/recipe.json" --out "$tmp/three" --quiet > "$tmp/three.log" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "3 processes: status $status (124: a hang)"
[ "$(grep -c "does not divide over 3 processes" "$tmp/three.log")" -ge 1 ] ||
  fail "$(cat "$tmp/three.log")"
grep -q "error: rank [0-2] of 3" "$tmp/three.log" || fail "no rank named: $(cat "$tmp/three.log")"
echo "mpirun -np 2 equals one process; a batch that does not divide is a clear error"

#!/usr/bin/env bash
# Data-parallel training on this machine: bench/dp_bench (a 32M-parameter Llama LM, global
# batch 8 x 128 tokens) alone with all cores, and under `mpirun -np 2` with one thread per
# rank — plain data parallel with 25 MB buckets (reduction overlapped with backward) and with
# one bucket (reduction after backward), ZeRO-1/2/3, and a bf16 reduction — beside PyTorch
# DistributedDataParallel (gloo) on the same model (bench/torch_ddp_peer.py, when Debian's
# python3-torch is installed). Each line: median step of 6 after 2 warm-up steps.
# Usage: bench/scale_bench.sh   (needs a built tree: ./setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench=build/bin/dp_bench
cores=$(nproc)
mpi=(mpirun -np 2 --oversubscribe --bind-to none --mca btl self,vader)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bench" --threads "$cores" | tee -a "$out"
"${mpi[@]}" "$bench" --threads $((cores / 2 > 0 ? cores / 2 : 1)) | tee -a "$out"
"${mpi[@]}" "$bench" --threads $((cores / 2 > 0 ? cores / 2 : 1)) --bucket-mb 4096 | tee -a "$out"
for shard in optimizer gradients parameters; do
  "${mpi[@]}" "$bench" --threads $((cores / 2 > 0 ? cores / 2 : 1)) --shard "$shard" | tee -a "$out"
done
"${mpi[@]}" "$bench" --threads $((cores / 2 > 0 ? cores / 2 : 1)) --shard gradients --bf16 | tee -a "$out"
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_ddp_peer.py 1 "$cores" | tee -a "$out"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_ddp_peer.py 2 \
    $((cores / 2 > 0 ? cores / 2 : 1)) | tee -a "$out"
fi
/usr/bin/python3 - "$out" << 'PY'
import re, sys
rows = [l.rstrip() for l in open(sys.argv[1]) if "tokens/s" in l]
tps = [float(re.search(r"([0-9.]+) tokens/s", l).group(1)) for l in rows]
ours_one = tps[0]
torch_one = next((t for l, t in zip(rows, tps) if "torch" in l and l.startswith("1 ranks")), None)
print("\nratios: tokens/s against the same framework alone on all cores")
for l, t in zip(rows, tps):
    base = torch_one if "torch" in l else ours_one
    print(f"  {l[:60]:60s} {t / base:5.2f}x")
ours_two = tps[1]
torch_two = next((t for l, t in zip(rows, tps) if "torch" in l and l.startswith("2 ranks")), None)
if torch_two:
    print(f"anymal / PyTorch, 2 ranks data parallel: {ours_two / torch_two:.2f}x; alone: {ours_one / torch_one:.2f}x")
PY
echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/Model name: *//p')"

#!/usr/bin/env bash
# Runs the kernel benchmarks and their peers on this machine, in one go, and prints a table of
# medians and ratios. Needs a built tree (./setup.sh); PyTorch figures appear when Debian's
# python3-torch is installed (not a project dependency: apt-get install python3-torch, and an
# optimized BLAS for it, e.g. libopenblas0-pthread; Debian's default reference BLAS is ~6 GFLOP/s).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-$(build/bin/anymal info | sed -n 's/.*physical cores: \([0-9]*\).*/\1/p')}
out=$(mktemp -d)
build/bin/bench_kernels --benchmark_repetitions=5 --benchmark_min_time=0.2 \
  --benchmark_report_aggregates_only=true --benchmark_format=json > "$out/anymal.json"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  # PyTorch at its best here: OpenBLAS's own CPU detection (the machine's OPENBLAS_CORETYPE
  # pin makes it run Haswell kernels), and both OpenBLAS threading choices (threaded BLAS is
  # best for one big GEMM; single-threaded BLAS inside torch's parallel bmm is best for
  # attention). report.py keeps the better figure of the two runs per case.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_peer.py "$threads" > "$out/torch1.json"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
    /usr/bin/python3 bench/torch_peer.py "$threads" > "$out/torch2.json"
  /usr/bin/python3 bench/report.py "$out/anymal.json" "$out/torch1.json" "$out/torch2.json"
else
  /usr/bin/python3 bench/report.py "$out/anymal.json"
fi
echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/Model name: *//p'), threads $threads"

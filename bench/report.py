#!/usr/bin/python3
"""Reads bench_kernels JSON (medians of repetitions) and the PyTorch peer JSON, prints the
table of GFLOP/s and ratios that bench/run.sh shows."""
import json
import sys


def medians(path):
    data = json.load(open(path))
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].replace("/real_time", "")
        out[name] = b["GFLOP/s"] / 1e9 if b["GFLOP/s"] > 1e6 else b["GFLOP/s"]
    return out


def main():
    ours = medians(sys.argv[1])
    torch = {}
    for path in sys.argv[2:]:  # several peer runs: keep the best figure per case
        for k, v in json.load(open(path)).items():
            torch[k] = max(v, torch.get(k, 0.0))
    rows = []
    for dtype in ("f32", "bf16"):
        for n in (512, 1024, 2048):
            a = ours.get(f"BM_matmul/{dtype}/{n}")
            d = ours.get(f"BM_onednn/{dtype}/{n}")
            t = torch.get(f"matmul/{dtype}/{n}")
            rows.append((f"matmul {dtype} {n}", a, "oneDNN direct", d, t))
    for n in (128, 512, 2048):
        a = ours.get(f"BM_attention_fused/{n}")
        u = ours.get(f"BM_attention_unfused/{n}")
        t = torch.get(f"attention/{n}")
        rows.append((f"attention fwd T={n}", a, "unfused (oneDNN GEMMs)", u, t))
    for n in (128, 512, 2048):
        rows.append((f"attention fwd+bwd T={n}", ours.get(f"BM_attention_fused_backward/{n}"), "", None, None))

    def f(x):
        return f"{x:8.1f}" if x else "       -"

    def r(a, b):
        return f"{a / b:6.2f}x" if a and b else "      -"

    print(f"{'case (GFLOP/s, median)':28} {'anymal':>8} | {'peer':22} {'peer':>8} {'ratio':>7} | {'torch':>8} {'ratio':>7}")
    for name, a, peer_name, p, t in rows:
        print(f"{name:28} {f(a)} | {peer_name:22} {f(p)} {r(a, p)} | {f(t)} {r(a, t)}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch peer figures for bench/run.sh: the same matmul and attention shapes as
bench_kernels, timed on this machine with the same thread count. Prints one JSON object
{case: GFLOP/s (median of runs)}. Attention uses the math path (QK^T, causal mask, softmax,
PV), which is what torch 1.13 (Debian's python3-torch) runs on CPU."""
import json
import sys
import time

import torch

HEADS, HEAD_DIM = 8, 64


def median_seconds(fn, min_time=0.3, reps=5):
    fn()
    out = []
    for _ in range(reps):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time / reps:
                break
        out.append(elapsed / n)
    return sorted(out)[len(out) // 2]


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    res = {}
    with torch.no_grad():
        for dtype, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
            for n in (512, 1024, 2048):
                a = torch.randn(n, n).to(dtype)
                b = torch.randn(n, n).to(dtype)
                s = median_seconds(lambda: torch.matmul(a, b))
                res[f"matmul/{name}/{n}"] = 2 * n ** 3 / s / 1e9
        for t in (128, 512, 2048):
            q, k, v = (torch.randn(HEADS, t, HEAD_DIM) for _ in range(3))
            mask = torch.full((t, t), float("-inf")).triu(1)

            def attn():
                s = torch.matmul(q, k.transpose(1, 2)) * HEAD_DIM ** -0.5 + mask
                return torch.matmul(torch.softmax(s, -1), v)

            res[f"attention/{t}"] = 2 * t * t * HEAD_DIM * HEADS / median_seconds(attn) / 1e9
    print(json.dumps(res))


if __name__ == "__main__":
    main()

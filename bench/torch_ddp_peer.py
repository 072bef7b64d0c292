#!/usr/bin/env python3
"""PyTorch peer of bench/dp_bench.cpp: the same Llama LM (512d x 8L, vocab 8192, 128 tokens,
global batch 8; blocks of scripts/torch_train_bench.py), AdamW, trained alone or with
DistributedDataParallel over gloo (bucket_cap_mb 25, reduction overlapped with backward).
Prints the line dp_bench prints: median step of 6 after 2 warm-up steps, global tokens/s.
Usage: /usr/bin/python3 bench/torch_ddp_peer.py RANKS THREADS"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from torch_train_bench import LlamaBlock, RMSNorm  # noqa: E402

VOCAB, DIM, LAYERS, HEADS, SEQ, BATCH = 8192, 512, 8, 8, 128, 8


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embd = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList(LlamaBlock(DIM, HEADS, DIM * 8 // 3 // 64 * 64) for _ in range(LAYERS))
        self.norm = RMSNorm(DIM)
        self.out = nn.Linear(DIM, VOCAB, bias=False)

    def forward(self, ids):
        h = self.embd(ids)
        for b in self.blocks:
            h = b(h)
        return self.out(self.norm(h))


def run(rank, world, threads, result):
    torch.set_num_threads(threads)
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29517")
        dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(1)
    model = LM()
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=25)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(7 + rank)
    rows = BATCH // world
    ids = torch.randint(VOCAB, (rows, SEQ), generator=g)
    targets = torch.randint(VOCAB, (rows * SEQ,), generator=g)
    times = []
    for step in range(8):
        if world > 1:
            dist.barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(ids).reshape(-1, VOCAB), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    if rank == 0:
        result.put(times[len(times) // 2])
    if world > 1:
        dist.destroy_process_group()


def main():
    world, threads = int(sys.argv[1]), int(sys.argv[2])
    ctx = mp.get_context("spawn")
    result = ctx.Queue()
    procs = [ctx.Process(target=run, args=(r, world, threads, result)) for r in range(world)]
    for p in procs:
        p.start()
    median = result.get()
    for p in procs:
        p.join()
    print(f"{world} ranks x {threads} threads  torch DDP  f32  bucket   25.0 MB  step {median:.3f} s  "
          f"{BATCH * SEQ / median:7.0f} tokens/s")


if __name__ == "__main__":
    main()

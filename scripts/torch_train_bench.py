#!/usr/bin/env python3
"""PyTorch peer of bench/train_bench.cpp: the same AnyMAL model (ViT 64 px / patch 8, dim 128,
4 executed blocks + MLP projector + Llama LM with RMSNorm, RoPE, SwiGLU), the same batches
(2 text tokens, 64 image tokens, the rest of the text; loss on all but the first 16 of
those), AdamW, f32 and bf16 autocast.
Prints text tokens/s, median of 8 steps after 2 warm-up steps.
Usage: /usr/bin/python3 scripts/torch_train_bench.py [--threads N]"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads, bias, rope):
        super().__init__()
        self.h, self.rope = heads, rope
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim, bias=bias) for _ in range(4))

    def forward(self, x, causal):
        B, T, D = x.shape
        hd = D // self.h
        q, k, v = (f(x).view(B, T, self.h, hd).transpose(1, 2) for f in (self.q, self.k, self.v))
        if self.rope:
            pos = torch.arange(T, dtype=torch.float32)
            inv = 10000.0 ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
            ang = pos[:, None] * inv[None, :]
            cos, sin = ang.cos(), ang.sin()

            def rot(t):
                a, b = t[..., 0::2], t[..., 1::2]
                return torch.stack((a * cos - b * sin, a * sin + b * cos), -1).flatten(-2)
            q, k = rot(q), rot(k)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        if causal:
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        out = att.softmax(-1) @ v
        return self.o(out.transpose(1, 2).reshape(B, T, D))


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.w = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.w


class LlamaBlock(nn.Module):
    def __init__(self, dim, heads, ff):
        super().__init__()
        self.n1, self.n2 = RMSNorm(dim), RMSNorm(dim)
        self.attn = Attention(dim, heads, False, True)
        self.gate, self.up = nn.Linear(dim, ff, bias=False), nn.Linear(dim, ff, bias=False)
        self.down = nn.Linear(ff, dim, bias=False)

    def forward(self, x):
        x = x + self.attn(self.n1(x), True)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class VitBlock(nn.Module):
    def __init__(self, dim, heads, ff):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, True, False)
        self.fc1, self.fc2 = nn.Linear(dim, ff), nn.Linear(ff, dim)

    def forward(self, x):
        x = x + self.attn(self.n1(x), False)
        return x + self.fc2(F.gelu(self.fc1(self.n2(x)), approximate="tanh"))


class Anymal(nn.Module):
    def __init__(self, dim, layers, heads, vocab):
        super().__init__()
        E = 128
        self.patch = nn.Conv2d(3, E, 8, 8)
        self.cls = nn.Parameter(torch.randn(E) * 0.02)
        self.pos = nn.Parameter(torch.randn(65, E) * 0.02)
        self.pre = nn.LayerNorm(E)
        self.vit = nn.ModuleList(VitBlock(E, 4, 512) for _ in range(4))
        self.proj = nn.Sequential(nn.Linear(E, dim), nn.GELU(approximate="tanh"), nn.Linear(dim, dim))
        self.embd = nn.Embedding(vocab, dim)
        ff = dim * 8 // 3 // 64 * 64
        self.blocks = nn.ModuleList(LlamaBlock(dim, heads, ff) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.out = nn.Linear(dim, vocab, bias=False)

    def forward(self, pixels, before, rest):
        B = pixels.shape[0]
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls.expand(B, 1, -1), x), 1) + self.pos
        x = self.pre(x)
        for b in self.vit:
            x = b(x)
        img = self.proj(x[:, 1:])
        h = torch.cat((self.embd(before), img, self.embd(rest)), 1)
        for b in self.blocks:
            h = b(h)
        return self.out(self.norm(h))


def tokens_per_s(dim, layers, heads, vocab, text, batch, bf16):
    torch.manual_seed(1)
    m = Anymal(dim, layers, heads, vocab)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    pixels = torch.randn(batch, 3, 64, 64)
    before = torch.randint(vocab, (batch, 2))
    rest = torch.randint(vocab, (batch, text - 2))
    # Targets: the answer tokens after 16 prompt tokens, predicted from the position before.
    T = 2 + 64 + text - 2
    n_answer = text - 2 - 16
    targets = torch.full((batch, T), -100, dtype=torch.long)
    targets[:, T - n_answer - 1:T - 1] = rest[:, 16:]
    times = []
    for i in range(10):
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = m(pixels, before, rest)
        loss = F.cross_entropy(logits.float().reshape(-1, vocab), targets.reshape(-1))
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    return batch * text / times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    shapes = [("A: LM 256d x 4L, vocab 4096, len 64, batch 16", 256, 4, 4, 4096, 64, 16),
              ("B: LM 512d x 8L, vocab 8192, len 128, batch 8", 512, 8, 8, 8192, 128, 8)]
    print(f"torch {torch.__version__}, {args.threads} threads: text tokens/s (median of 8 steps)")
    print(f"{'shape':48s} {'f32':>10s} {'bf16':>10s}")
    for name, *s in shapes:
        print(f"{name:48s} {tokens_per_s(*s, False):10.0f} {tokens_per_s(*s, True):10.0f}")


if __name__ == "__main__":
    main()

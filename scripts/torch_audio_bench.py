#!/usr/bin/python3
"""PyTorch peer of bench/audio_bench.cpp: the same Whisper-base-shaped encoder (conv stem,
sinusoidal positions, 6 pre-LN blocks of width 512, 8 heads, ff 2048, final LayerNorm) on
1000 log-mel frames (10 s), f32, no grad, 1 and 2 threads; the front end with torch.stft.
Medians of 5.  Usage: /usr/bin/python3 scripts/torch_audio_bench.py
Debian's torch calls the system BLAS: with only the reference libblas3 installed its GEMMs are
~50x slower; install libopenblas0-pthread for a fair peer, and unset OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE for the run (see the machine notes)."""
import math
import statistics
import time

import torch
import torch.nn.functional as F


class Encoder(torch.nn.Module):
    def __init__(self, n_in=80, dim=512, layers=6, heads=8, ff=2048, n_pos=1500):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(n_in, dim, 3, padding=1)
        self.conv2 = torch.nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        inc = math.log(10000) / (dim // 2 - 1)
        t = torch.arange(n_pos)[:, None] * torch.exp(-inc * torch.arange(dim // 2))[None, :]
        self.register_buffer("pos", torch.cat([t.sin(), t.cos()], 1))
        self.blocks = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(dim, heads, ff, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True)
            for _ in range(layers))
        self.ln = torch.nn.LayerNorm(dim)

    def forward(self, mel):  # [B, 80, T]
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).transpose(1, 2)
        x = x + self.pos[: x.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.ln(x)


def log_mel(audio, filters):
    stft = torch.stft(audio, 400, 160, window=torch.hann_window(400), return_complex=True)
    mel = filters @ stft[..., :-1].abs() ** 2
    log_spec = torch.clamp(mel, min=1e-10).log10()
    return (torch.maximum(log_spec, log_spec.max() - 8.0) + 4.0) / 4.0


def median(f, runs=5):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    i = torch.arange(160000, dtype=torch.float32)
    audio = 0.3 * torch.sin(i * (0.01 + 1e-7 * i)) + 0.02 * torch.randn(160000)
    filters = torch.rand(80, 201) * 0.01  # timing only: the values do not matter
    enc = Encoder().eval()
    print("| threads | log-mel 10 s | encoder (1000 frames -> 500 x 512) | total |")
    print("|---|---|---|---|")
    with torch.inference_mode():
        for n in (1, 2):
            torch.set_num_threads(n)
            mel = log_mel(audio, filters)[None]
            enc(mel)
            t_mel = median(lambda: log_mel(audio, filters))
            t_enc = median(lambda: enc(mel))
            print("| %d | %.1f ms | %.1f ms | %.1f ms |" % (n, t_mel * 1e3, t_enc * 1e3,
                                                       (t_mel + t_enc) * 1e3))
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()

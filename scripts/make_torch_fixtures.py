#!/usr/bin/python3
"""Generate PyTorch reference fixtures for anymal.cpp tests.

Writes into tests/fixtures/torch/ (relative to the repo root):
  llama_block.bin    Llama decoder block (RMSNorm, GQA attention with "norm"
                     style adjacent-pair RoPE, SwiGLU FFN): forward + grads
  vit_block.bin      pre-LN ViT block (LayerNorm, MHA with biases, erf GELU
                     MLP): forward + grads
  cross_entropy.bin  mean cross entropy with ignore_index=-100 + grad
  adamw_mlp.bin      2-layer MLP trained 10 AdamW steps: losses + final params
  audio_stem.bin     Whisper's encoder stem: conv1d(k3,p1) GELU, conv1d(k3,s2,p1) GELU,
                     + positions, on channels-last input: forward + grads
  gated_xattn.bin    Flamingo's gated cross-attention dense block for a Llama LM
                     (RMSNorm, GQA attention of text queries to media keys/values,
                     no RoPE, no mask, SwiGLU FFN, tanh gates): forward + grads
  log_mel.bin        Whisper's log-mel front end (torch.stft, librosa's Slaney mel
                     filters re-derived in numpy): 16-bit audio, filters, log-mel

Inputs/weights are sampled in float32 (so they are exactly representable in
the files), the computation runs in float64, and results are rounded to
float32 on write, so the references are accurate oracles.  Gradients are of
loss = (out * dout).sum() where dout is the stored random cotangent.

File format (little-endian):
  b"ANYFX1\\0\\0", u32 tensor count, then per tensor:
  u32 name length, utf-8 name, u32 ndim, ndim x i64 dims, float32 data
  (row-major).  Integer tensors (targets) are stored as float32 values.

This script is run by a developer (needs torch; Debian's /usr/bin/python3 has
it), not by CI; the generated .bin files are committed.
  /usr/bin/python3 scripts/make_torch_fixtures.py           # generate
  /usr/bin/python3 scripts/make_torch_fixtures.py --check   # re-read + print
  /usr/bin/python3 scripts/make_torch_fixtures.py --only log_mel   # one fixture
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

MAGIC = b"ANYFX1\0\0"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "tests", "fixtures", "torch")


# ---------------------------------------------------------------- file I/O
def write_fixture(name, tensors):
    """tensors: dict name -> torch.Tensor (any dtype, stored as float32)."""
    path = os.path.join(OUT_DIR, name + ".bin")
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<I", len(tensors)))
        for tname, t in tensors.items():
            a = np.ascontiguousarray(t.detach().cpu().double().numpy(), dtype="<f4")
            key = tname.encode("utf-8")
            f.write(struct.pack("<I", len(key)) + key)
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dq" % a.ndim, *a.shape))
            f.write(a.tobytes())
    return path


def read_fixture(path):
    """Returns an ordered dict name -> float32 numpy array."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == MAGIC, "bad magic in " + path
    (count,), off = struct.unpack_from("<I", data, 8), 12
    out = {}
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, off); off += 4
        name = data[off:off + n].decode("utf-8"); off += n
        (ndim,) = struct.unpack_from("<I", data, off); off += 4
        dims = struct.unpack_from("<%dq" % ndim, data, off); off += 8 * ndim
        numel = int(np.prod(dims)) if ndim else 1
        out[name] = np.frombuffer(data, "<f4", numel, off).reshape(dims)
        off += 4 * numel
    assert off == len(data), "trailing bytes in " + path
    return out


def randn(*shape, std=1.0, mean=0.0):
    """float32 sample (exactly representable), promoted to float64."""
    return (torch.randn(*shape) * std + mean).double()


def with_grads(inputs, out, dout):
    """Backprop loss = (out*dout).sum(); returns {grad.<name>: grad}."""
    (out * dout).sum().backward()
    return {"grad." + k: v.grad for k, v in inputs.items()}


# ------------------------------------------------------------ llama block
def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_norm(x, base=10000.0):
    """x [B,T,H,hd]; rotate adjacent pairs (2i, 2i+1), positions 0..T-1."""
    T, hd = x.shape[1], x.shape[3]
    inv = base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)  # [hd/2]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]  # [T,hd/2]
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).flatten(-2)


def rope_complex(x, base=10000.0):
    """Independent RoPE formulation: pairs as complex numbers times e^{i*theta}."""
    T, hd = x.shape[1], x.shape[3]
    i = torch.arange(hd // 2, dtype=torch.float64)
    theta = torch.arange(T, dtype=torch.float64)[:, None] * base ** (-2 * i / hd)
    z = torch.view_as_complex(x.reshape(*x.shape[:-1], hd // 2, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(theta), theta)[None, :, None, :]).flatten(-2)


def llama_forward(p, n_head=4, n_kv=2):
    x = p["x"]
    B, T, D = x.shape
    hd = D // n_head
    n = rms_norm(x, p["attn_norm"])
    q = rope_norm((n @ p["wq"].T).view(B, T, n_head, hd))
    k = rope_norm((n @ p["wk"].T).view(B, T, n_kv, hd))
    v = (n @ p["wv"].T).view(B, T, n_kv, hd)
    rep = n_head // n_kv  # query head h uses kv head h // rep
    k, v = k.repeat_interleave(rep, dim=2), v.repeat_interleave(rep, dim=2)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B,H,T,hd]
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
    h = x + a @ p["wo"].T
    n = rms_norm(h, p["ffn_norm"])
    return h + (F.silu(n @ p["w_gate"].T) * (n @ p["w_up"].T)) @ p["w_down"].T


def llama_reference_loop(p, n_head=4, n_kv=2):
    """Slow numpy per-(batch, head, query) attention, used only as a check."""
    g = {k: v.detach().numpy() for k, v in p.items()}
    x = g["x"]; B, T, D = x.shape; hd = D // n_head
    rms = lambda t, w: t / np.sqrt((t * t).mean(-1, keepdims=True) + 1e-5) * w
    n = rms(x, g["attn_norm"])
    rope = lambda t: rope_complex(torch.from_numpy(t)).numpy()
    q = rope((n @ g["wq"].T).reshape(B, T, n_head, hd))
    k = rope((n @ g["wk"].T).reshape(B, T, n_kv, hd))
    v = (n @ g["wv"].T).reshape(B, T, n_kv, hd)
    a = np.zeros((B, T, n_head, hd))
    for b in range(B):
        for h in range(n_head):
            kh = h // (n_head // n_kv)
            for t in range(T):
                s = k[b, :t + 1, kh] @ q[b, t, h] / np.sqrt(hd)
                w = np.exp(s - s.max()); w /= w.sum()
                a[b, t, h] = w @ v[b, :t + 1, kh]
    hh = x + a.reshape(B, T, D) @ g["wo"].T
    n = rms(hh, g["ffn_norm"])
    gate = n @ g["w_gate"].T
    return hh + (gate / (1 + np.exp(-gate)) * (n @ g["w_up"].T)) @ g["w_down"].T


def make_llama():
    torch.manual_seed(0)
    B, T, D, F_ = 2, 8, 64, 160
    p = {"x": randn(B, T, D), "attn_norm": randn(D, std=0.1, mean=1.0),
         "wq": randn(D, D, std=0.1), "wk": randn(32, D, std=0.1),
         "wv": randn(32, D, std=0.1), "wo": randn(D, D, std=0.1),
         "ffn_norm": randn(D, std=0.1, mean=1.0),
         "w_gate": randn(F_, D, std=0.1), "w_up": randn(F_, D, std=0.1),
         "w_down": randn(D, F_, std=0.1)}
    dout = randn(B, T, D)
    # independent checks: RoPE vs complex form, whole block vs loop version
    r = randn(B, T, 4, 16)
    assert torch.allclose(rope_norm(r), rope_complex(r), atol=1e-12)
    for t in p.values():
        t.requires_grad_(True)
    out = llama_forward(p)
    ref = llama_reference_loop(p)
    assert np.abs(out.detach().numpy() - ref).max() < 1e-10, "llama check failed"
    grads = with_grads(p, out, dout)
    return {**p, "dout": dout, "out": out, **grads}


# -------------------------------------------------------------- ViT block
def make_vit():
    torch.manual_seed(0)
    B, N, D, H, F_ = 2, 17, 64, 4, 128
    hd = D // H
    p = {"x": randn(B, N, D),
         "ln1.weight": randn(D, std=0.1, mean=1.0), "ln1.bias": randn(D, std=0.1)}
    for nm in ("q", "k", "v", "o"):
        p[nm + ".weight"], p[nm + ".bias"] = randn(D, D, std=0.1), randn(D, std=0.1)
    p.update({"ln2.weight": randn(D, std=0.1, mean=1.0), "ln2.bias": randn(D, std=0.1),
              "fc1.weight": randn(F_, D, std=0.1), "fc1.bias": randn(F_, std=0.1),
              "fc2.weight": randn(D, F_, std=0.1), "fc2.bias": randn(D, std=0.1)})
    dout = randn(B, N, D)
    for t in p.values():
        t.requires_grad_(True)
    lin = lambda t, nm: F.linear(t, p[nm + ".weight"], p[nm + ".bias"])
    ln = lambda t, nm: F.layer_norm(t, (D,), p[nm + ".weight"], p[nm + ".bias"], 1e-5)
    x = p["x"]
    n = ln(x, "ln1")
    q, k, v = (lin(n, nm).view(B, N, H, hd).transpose(1, 2) for nm in "qkv")
    a = ((q @ k.transpose(-1, -2) / math.sqrt(hd)).softmax(-1) @ v)
    h = x + lin(a.transpose(1, 2).reshape(B, N, D), "o")
    out = h + lin(F.gelu(lin(ln(h, "ln2"), "fc1")), "fc2")
    # independent check against torch's own pre-LN encoder layer
    layer = torch.nn.TransformerEncoderLayer(D, H, F_, dropout=0.0, activation="gelu",
                                             layer_norm_eps=1e-5, batch_first=True,
                                             norm_first=True).double().eval()
    with torch.no_grad():
        sa = layer.self_attn
        sa.in_proj_weight.copy_(torch.cat([p[c + ".weight"] for c in "qkv"]))
        sa.in_proj_bias.copy_(torch.cat([p[c + ".bias"] for c in "qkv"]))
        for dst, src in ((sa.out_proj, "o"), (layer.norm1, "ln1"), (layer.norm2, "ln2"),
                         (layer.linear1, "fc1"), (layer.linear2, "fc2")):
            dst.weight.copy_(p[src + ".weight"]); dst.bias.copy_(p[src + ".bias"])
        ref = layer.train()(x)  # train(): avoid the fused fast path
        assert (ref - out).abs().max() < 1e-10, "vit check failed"
    grads = with_grads(p, out, dout)
    return {**p, "dout": dout, "out": out, **grads}


# ----------------------------------------------------------- cross entropy
def make_cross_entropy():
    torch.manual_seed(0)
    logits = randn(16, 4096, std=3.0).requires_grad_(True)
    targets = torch.randint(0, 4096, (16,))
    targets[[2, 7, 11]] = -100
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    loss.backward()
    return {"logits": logits, "targets": targets, "loss": loss.reshape(1),
            "grad.logits": logits.grad}


# --------------------------------------------------------------- AdamW MLP
def make_adamw():
    """Runs in float64 (initial params are float32-representable)."""
    torch.manual_seed(0)
    fc1, fc2 = torch.nn.Linear(16, 32), torch.nn.Linear(32, 4)
    x, targets = torch.randn(32, 16), torch.randint(0, 4, (32,))
    fc1.double(); fc2.double(); x = x.double()
    params = {"fc1.weight": fc1.weight, "fc1.bias": fc1.bias,
              "fc2.weight": fc2.weight, "fc2.bias": fc2.bias}
    init = {"init." + k: v.detach().clone() for k, v in params.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=1e-2, betas=(0.9, 0.999),
                            eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = F.cross_entropy(fc2(F.gelu(fc1(x), approximate="tanh")), targets)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = {"final." + k: v.detach().clone() for k, v in params.items()}
    return {"x": x, "targets": targets, **init,
            "losses": torch.tensor(losses, dtype=torch.float64), **final}


def slaney_mel_filters(sr, n_fft, n_mels):
    """librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels) (htk=False, norm="slaney")."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz,
                        min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m):
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fftfreqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def make_log_mel():
    """whisper.audio.log_mel_spectrogram on 1.23 s of 16-bit audio (tones, a chirp, noise)."""
    rng = np.random.default_rng(0)
    sr, n = 16000, 19680
    t = np.arange(n) / sr
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * (200 + 1500 * t) * t)
         + 0.1 * np.sin(2 * np.pi * 3100 * t) + 0.05 * rng.standard_normal(n))
    audio = np.round(np.clip(x, -1, 1) * 32767) / 32768.0  # as a 16-bit WAV reads back
    filters = slaney_mel_filters(sr, 400, 80)
    a = torch.from_numpy(audio)  # float64 throughout, rounded to float32 on write
    stft = torch.stft(a, 400, 160, window=torch.hann_window(400, dtype=torch.float64),
                      return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = torch.from_numpy(filters.astype(np.float64)) @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return {"audio": torch.from_numpy(audio), "filters": torch.from_numpy(filters),
            "log_mel": log_spec}


def make_audio_stem():
    """whisper.model.AudioEncoder's stem (conv1 -> gelu -> conv2(stride 2) -> gelu, + positions)."""
    torch.manual_seed(0)
    B, T, C, D = 2, 11, 6, 8
    p = {"x": randn(B, T, C), "conv1.weight": randn(D, C, 3, std=0.3), "conv1.bias": randn(D, std=0.1),
         "conv2.weight": randn(D, D, 3, std=0.3), "conv2.bias": randn(D, std=0.1),
         "pos": randn((T + 1) // 2, D, std=0.1)}
    dout = randn(B, (T + 1) // 2, D)
    for t in p.values():
        t.requires_grad_(True)
    h = F.gelu(F.conv1d(p["x"].transpose(1, 2), p["conv1.weight"], p["conv1.bias"], padding=1))
    h = F.gelu(F.conv1d(h, p["conv2.weight"], p["conv2.bias"], stride=2, padding=1))
    out = h.transpose(1, 2) + p["pos"]
    grads = with_grads(p, out, dout)
    return {**p, "dout": dout, "out": out, **grads}


# ----------------------------------------------- gated cross-attention block
def gated_xattn_forward(p, n_head=4, n_kv=2):
    x, m = p["x"], p["media"]
    B, T, D = x.shape
    M, hd = m.shape[1], D // n_head
    n = rms_norm(x, p["attn_norm"])
    q = (n @ p["wq"].T).view(B, T, n_head, hd).transpose(1, 2)
    k = (m @ p["wk"].T).view(B, M, n_kv, hd).transpose(1, 2)
    v = (m @ p["wv"].T).view(B, M, n_kv, hd).transpose(1, 2)
    rep = n_head // n_kv  # query head h uses kv head h // rep
    k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    a = (q @ k.transpose(-1, -2) / math.sqrt(hd)).softmax(-1) @ v  # every query sees all M
    a = a.transpose(1, 2).reshape(B, T, D)
    y = x + torch.tanh(p["gate_attn"]) * (a @ p["wo"].T)
    n = rms_norm(y, p["ffn_norm"])
    f = (F.silu(n @ p["w_gate"].T) * (n @ p["w_up"].T)) @ p["w_down"].T
    return y + torch.tanh(p["gate_ffn"]) * f


def make_gated_xattn():
    torch.manual_seed(0)
    B, T, M, D, F_ = 2, 7, 5, 64, 96
    p = {"x": randn(B, T, D), "media": randn(B, M, D),
         "attn_norm": randn(D, std=0.1, mean=1.0),
         "wq": randn(D, D, std=0.1), "wk": randn(32, D, std=0.1),
         "wv": randn(32, D, std=0.1), "wo": randn(D, D, std=0.1),
         "gate_attn": randn(1, std=0.5, mean=0.4),
         "ffn_norm": randn(D, std=0.1, mean=1.0),
         "w_gate": randn(F_, D, std=0.1), "w_up": randn(F_, D, std=0.1),
         "w_down": randn(D, F_, std=0.1), "gate_ffn": randn(1, std=0.5, mean=-0.3)}
    dout = randn(B, T, D)
    for t in p.values():
        t.requires_grad_(True)
    out = gated_xattn_forward(p)
    # gates at 0: the block is the identity (Flamingo's initial state)
    q = {k: (torch.zeros_like(v) if k.startswith("gate") else v) for k, v in p.items()}
    assert torch.equal(gated_xattn_forward(q), p["x"]), "gate 0 is not the identity"
    grads = with_grads(p, out, dout)
    return {**p, "dout": dout, "out": out, **grads}


FIXTURES = {"llama_block": make_llama, "gated_xattn": make_gated_xattn, "vit_block": make_vit,
            "cross_entropy": make_cross_entropy, "adamw_mlp": make_adamw,
            "log_mel": make_log_mel, "audio_stem": make_audio_stem}


def check():
    total = 0
    for name in FIXTURES:
        path = os.path.join(OUT_DIR, name + ".bin")
        size = os.path.getsize(path)
        total += size
        print("%s (%d bytes)" % (path, size))
        for tname, a in read_fixture(path).items():
            assert np.isfinite(a).all(), tname
            print("  %-16s %-14s rms=%.4g" % (tname, list(a.shape),
                                             float(np.sqrt((a.astype(np.float64) ** 2).mean()))))
    print("total %d bytes" % total)


def main():
    args = sys.argv[1:]
    only = args[args.index("--only") + 1] if "--only" in args else None
    if "--check" not in args:
        os.makedirs(OUT_DIR, exist_ok=True)
        for name, fn in FIXTURES.items():
            if only is None or name == only:
                print("wrote", write_fixture(name, fn()))
    check()


if __name__ == "__main__":
    main()

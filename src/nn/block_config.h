// The shape of one transformer block: covers Llama (RMSNorm, RoPE, GQA, SwiGLU, no biases,
// causal) and ViT/CLIP (LayerNorm, biases, GELU, bidirectional) alike.
#pragma once

#include <cstdint>

#include "ops/rope.h"

namespace anymal::nn {

enum class MlpKind { swiglu, gelu, gelu_erf, quick_gelu };
enum class NormKind { rms, layer };

struct BlockConfig {
  int64_t dim = 0;
  int64_t n_head = 1;
  int64_t n_kv_head = 0;  // 0: same as n_head
  int64_t ff_dim = 0;
  bool bias = false;  // biases on every linear
  NormKind norm = NormKind::rms;
  float norm_eps = 1e-5f;
  MlpKind mlp = MlpKind::swiglu;
  bool causal = true;
  bool rope = true;
  float rope_base = 10000.0f;
  ops::RopeMode rope_mode = ops::RopeMode::norm;

  int64_t kv_heads() const { return n_kv_head > 0 ? n_kv_head : n_head; }
  int64_t head_dim() const { return dim / n_head; }

  // An encoder's block (ViT/CLIP, Whisper): LayerNorm, biases, bidirectional, no RoPE.
  static BlockConfig encoder(int64_t dim, int64_t n_head, int64_t ff_dim, float eps, MlpKind mlp) {
    BlockConfig b;
    b.dim = dim;
    b.n_head = n_head;
    b.ff_dim = ff_dim;
    b.bias = true;
    b.norm = NormKind::layer;
    b.norm_eps = eps;
    b.mlp = mlp;
    b.causal = false;
    b.rope = false;
    return b;
  }
};

}  // namespace anymal::nn

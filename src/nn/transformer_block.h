// Pre-norm transformer block: h = x + attn(norm1(x)); out = h + mlp(norm2(h)).
// Parameter names follow llama.cpp's per-block names (attn_norm, attn_q, ..., ffn_norm,
// ffn_gate/up/down) so a Llama GGUF maps onto it directly.
#pragma once

#include <memory>

#include "nn/attention.h"
#include "nn/layers.h"
#include "nn/mlp.h"

namespace anymal::nn {

class TransformerBlock : public Module {
 public:
  TransformerBlock(const BlockConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& x, const Tensor& positions, const Tensor& mask = Tensor()) const;

  std::unique_ptr<Module> attn_norm, ffn_norm;  // RMSNorm or LayerNorm
  SelfAttention attn;
  Mlp mlp;

 private:
  Tensor norm(const Module& m, const Tensor& x) const;
  NormKind norm_kind_;
};

}  // namespace anymal::nn

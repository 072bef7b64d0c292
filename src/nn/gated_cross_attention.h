// Flamingo's gated cross-attention dense block, shaped for a Llama LM: the text rows attend to
// media tokens (an image's, a sound's, a motion's, already projected to the LM's width) with
// no RoPE and no causal mask, and the attention and the feed-forward outputs each pass through
// tanh(gate) with the gates initialized to 0, so an untrained block is the identity and the
// LM it is inserted into is exactly the text LM.
//   y   = x + tanh(gate_attn) * attn_output(attention(attn_q(norm(x)), attn_k(m), attn_v(m)))
//   out = y + tanh(gate_ffn) * ffn(ffn_norm(y))           (ffn: SwiGLU, as the LM's)
// Parameter names (GGUF tensors xattn.L.* of the mmproj): attn_norm, attn_q, attn_k, attn_v,
// attn_output, gate_attn [1], ffn_norm, ffn_gate, ffn_up, ffn_down, gate_ffn [1].
#pragma once

#include "nn/block_config.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/mlp.h"

namespace anymal::nn {

class GatedCrossAttention : public Module {
 public:
  // cfg: the LM's block (dim, heads, kv heads, ff, norm eps).
  GatedCrossAttention(const BlockConfig& cfg, Rng& rng);
  // x [B, T, dim], media [B, M, dim] (M >= 1) -> [B, T, dim].
  Tensor forward(const Tensor& x, const Tensor& media) const;

  RMSNorm attn_norm, ffn_norm;
  Linear q, k, v, o;
  Mlp mlp;
  Tensor gate_attn, gate_ffn;  // [1], 0 at initialization

 private:
  BlockConfig cfg_;
};

}  // namespace anymal::nn

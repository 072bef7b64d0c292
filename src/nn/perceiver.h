// The Perceiver resampler (Flamingo; AnyMAL's image projector): a fixed number of learned
// queries cross-attend to the encoder's features (keys/values: the features and the queries
// themselves), N layers of attention + GELU MLP, each pre-LN with residuals; then a LayerNorm
// and a projection into the LLM's embedding space. Any number of patches in, n_queries out.
//
// Parameter names (the GGUF tensors are these under "mm.perceiver."):
//   in.{weight,bias} [dim, n_in]   latents [n_queries, dim]
//   blk.L.{ln_q,ln_kv,ln_ff}.{weight,bias}   blk.L.attn_{q,k,v,out}.weight [dim, dim]
//   blk.L.ffn_up.weight [ff, dim]   blk.L.ffn_down.weight [dim, ff]
//   ln_out.{weight,bias}   out.{weight,bias} [n_out, dim]
#pragma once

#include <memory>
#include <vector>

#include "core/rng.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace anymal::nn {

struct PerceiverConfig {
  int64_t n_in = 0, dim = 0, n_out = 0, n_queries = 0, n_layers = 1, n_heads = 1, n_ff = 0;
  float eps = 1e-5f;
};

class PerceiverResampler : public Module {
 public:
  PerceiverResampler(const PerceiverConfig& c, Rng& rng);
  const PerceiverConfig& config() const { return cfg_; }
  // features [B, N, n_in] -> [B, n_queries, n_out]; differentiable.
  Tensor forward(const Tensor& features) const;

 private:
  struct Layer : Module {
    Layer(int64_t dim, int64_t ff, float eps, Rng& rng);
    LayerNorm ln_q, ln_kv, ln_ff;
    Linear attn_q, attn_k, attn_v, attn_out, ffn_up, ffn_down;
  };
  PerceiverConfig cfg_;
  Linear in_;
  Tensor latents_;
  std::vector<std::unique_ptr<Layer>> layers_;
  LayerNorm ln_out_;
  Linear out_;
};

}  // namespace anymal::nn

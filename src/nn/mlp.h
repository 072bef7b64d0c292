// Feed-forward network. swiglu: ffn_down(silu(ffn_gate(x)) * ffn_up(x)) (Llama);
// gelu kinds: ffn_down(act(ffn_up(x))) (ViT/CLIP; ffn_up is fc1, dim -> ff).
#pragma once

#include <memory>

#include "nn/block_config.h"
#include "nn/linear.h"

namespace anymal::nn {

class Mlp : public Module {
 public:
  Mlp(const BlockConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& x) const;  // [..., dim] -> [..., dim]

  std::unique_ptr<Linear> gate;  // [ff, dim] (swiglu only)
  Linear up;                     // [ff, dim]
  Linear down;                   // [dim, ff]

 private:
  MlpKind kind_;
};

}  // namespace anymal::nn

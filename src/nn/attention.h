// Multi-head self-attention with GQA/MQA, optional RoPE, optional biases.
// x [B, T, dim] -> [B, T, dim]; positions i32 [T] (needed when the config uses RoPE).
#pragma once

#include "nn/block_config.h"
#include "nn/linear.h"

namespace anymal::nn {

class SelfAttention : public Module {
 public:
  SelfAttention(const BlockConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& x, const Tensor& positions, const Tensor& mask = Tensor()) const;

  Linear q, k, v, o;  // q/o: [dim, dim]; k/v: [kv_heads*head_dim, dim]

 private:
  BlockConfig cfg_;
};

}  // namespace anymal::nn

// Small parameterized layers: Embedding, RMSNorm, LayerNorm.
#pragma once

#include "core/rng.h"
#include "nn/module.h"

namespace anymal::nn {

class Embedding : public Module {
 public:
  Embedding(int64_t vocab, int64_t dim, Rng& rng, float init_std = 0.02f);
  Tensor forward(const Tensor& ids) const;  // i32 [...] -> [..., dim]
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;  // [vocab, dim]
};

class RMSNorm : public Module {
 public:
  explicit RMSNorm(int64_t dim, float eps = 1e-5f);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor weight_;  // [dim], starts at 1
  float eps_;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, float eps = 1e-5f, bool bias = true);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor weight_;  // [dim], starts at 1
  Tensor bias_;    // [dim], starts at 0
  float eps_;
};

}  // namespace anymal::nn

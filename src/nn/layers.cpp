#include "nn/layers.h"

#include "ops/embedding.h"
#include "ops/norm.h"

namespace anymal::nn {

Embedding::Embedding(int64_t vocab, int64_t dim, Rng& rng, float init_std) {
  weight_ = register_parameter("weight", randn(Shape{vocab, dim}, rng, init_std));
}

Tensor Embedding::forward(const Tensor& ids) const { return ops::embedding(weight_, ids); }

RMSNorm::RMSNorm(int64_t dim, float eps) : eps_(eps) {
  weight_ = register_parameter("weight", Tensor::full(Shape{dim}, 1.0f));
}

Tensor RMSNorm::forward(const Tensor& x) const { return ops::rms_norm(x, weight_, eps_); }

LayerNorm::LayerNorm(int64_t dim, float eps, bool bias) : eps_(eps) {
  weight_ = register_parameter("weight", Tensor::full(Shape{dim}, 1.0f));
  if (bias) bias_ = register_parameter("bias", Tensor::zeros(Shape{dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const {
  return ops::layer_norm(x, weight_, bias_, eps_);
}

}  // namespace anymal::nn

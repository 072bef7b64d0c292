#include "nn/sequence_encoder.h"

#include <cmath>

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

BlockConfig SequenceEncoderConfig::block() const {
  return BlockConfig::encoder(dim, n_head, ff, eps, MlpKind::gelu_erf);
}

Tensor sinusoid_positions(int64_t length, int64_t channels) {
  ANYMAL_ASSERT(channels % 2 == 0 && channels >= 4);
  const int64_t half = channels / 2;
  const double step = std::log(10000.0) / double(half - 1);
  std::vector<float> v(size_t(length * channels));
  for (int64_t t = 0; t < length; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double a = double(t) * std::exp(-step * double(i));
      v[size_t(t * channels + i)] = float(std::sin(a));
      v[size_t(t * channels + half + i)] = float(std::cos(a));
    }
  return Tensor::from_floats(v, Shape{length, channels});
}

SequenceEncoder::SequenceEncoder(const SequenceEncoderConfig& c, Rng& rng)
    : cfg_(c), post_ln_(c.dim, c.eps) {
  if (c.n_in <= 0 || c.dim <= 0 || c.n_layer <= 0 || c.n_head <= 0 || c.dim % c.n_head != 0 ||
      c.dim % 2 != 0 || c.max_positions <= 0)
    throw_error(ErrorKind::invalid_input,
                "sequence encoder: channels, width, layers and heads must be positive, the "
                "width even and a multiple of the heads");
  conv1_w_ = register_parameter(
      "conv1d.1.weight", randn({c.dim, c.n_in, 3}, rng, 1.0f / std::sqrt(float(3 * c.n_in))));
  conv1_b_ = register_parameter("conv1d.1.bias", Tensor::zeros({c.dim}));
  conv2_w_ = register_parameter("conv1d.2.weight",
                                randn({c.dim, c.dim, 3}, rng, 1.0f / std::sqrt(float(3 * c.dim))));
  conv2_b_ = register_parameter("conv1d.2.bias", Tensor::zeros({c.dim}));
  pos_ = register_parameter("position_embd.weight", sinusoid_positions(c.max_positions, c.dim),
                            /*trainable=*/false);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    blocks.push_back(std::make_unique<TransformerBlock>(c.block(), rng));
    register_module("blk." + std::to_string(i), *blocks.back());
  }
  register_module("post_ln", post_ln_);
}

Tensor SequenceEncoder::forward(const Tensor& x) const {
  if (x.ndim() != 3 || x.dim(2) != cfg_.n_in)
    throw_error(ErrorKind::invalid_input, "sequence encoder: input " + x.shape().str() +
                                              " is not [B, T, " + std::to_string(cfg_.n_in) + "]");
  Tensor h = ops::gelu_erf(ops::conv1d(x, conv1_w_, conv1_b_, 1, 1));
  h = ops::gelu_erf(ops::conv1d(h, conv2_w_, conv2_b_, 2, 1));
  const int64_t T = h.dim(1);
  if (T > cfg_.max_positions)
    throw_error(ErrorKind::invalid_input, "sequence encoder: " + std::to_string(x.dim(1)) +
                                              " input steps give " + std::to_string(T) +
                                              " positions, more than the " +
                                              std::to_string(cfg_.max_positions) + " it has");
  h = ops::add(h, ops::reshape(ops::slice(pos_, 0, 0, T), {1, T, cfg_.dim}));
  const Tensor none;
  for (const auto& b : blocks) h = b->forward(h, none);
  return post_ln_.forward(h);
}

}  // namespace anymal::nn

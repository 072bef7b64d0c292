#include "nn/signal_tower.h"

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

SignalTower::SignalTower(const SignalTowerConfig& cfg, int64_t n_out, Rng& rng)
    : encoder(cfg.encoder, rng),
      projector(cfg.encoder.dim, cfg.proj_hidden > 0 ? cfg.proj_hidden : n_out, n_out, rng),
      cfg_(cfg) {
  if (cfg.n_tokens <= 0)
    throw_error(ErrorKind::invalid_input, "signal tower: n_tokens must be positive");
  register_module("enc", encoder);
  register_module("proj", projector);
}

Tensor SignalTower::tokens(const Tensor& x) const {
  return projector.forward(adaptive_avg_pool_time(encoder.forward(x), cfg_.n_tokens));
}

Tensor SignalTower::pooled(const Tensor& x) const { return ops::mean(encoder.forward(x), 1); }

Tensor adaptive_avg_pool_time(const Tensor& x, int64_t n) {
  if (x.ndim() != 3 || n <= 0 || x.dim(1) < n)
    throw_error(ErrorKind::invalid_input, "adaptive_avg_pool_time: " + x.shape().str() +
                                              " has fewer than " + std::to_string(n) + " steps");
  const int64_t T = x.dim(1);
  std::vector<float> p(size_t(n * T), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = i * T / n, b = ((i + 1) * T + n - 1) / n;
    for (int64_t t = a; t < b; ++t) p[size_t(i * T + t)] = 1.0f / float(b - a);
  }
  return ops::matmul(Tensor::from_floats(p, Shape{n, T}), x);
}

}  // namespace anymal::nn

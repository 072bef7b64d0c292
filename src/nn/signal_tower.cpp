#include "nn/signal_tower.h"

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

SignalTower::SignalTower(const SignalTowerConfig& cfg, int64_t n_out, Rng& rng)
    : encoder(cfg.encoder, rng), cfg_(cfg) {
  if (cfg.n_tokens <= 0)
    throw_error(ErrorKind::invalid_input, "signal tower: n_tokens must be positive");
  register_module("enc", encoder);
  const int64_t hidden = cfg.proj_hidden > 0 ? cfg.proj_hidden : n_out;
  if (cfg.projector == "mlp") {
    mlp = std::make_unique<MlpProjector>(cfg.encoder.dim, hidden, n_out, rng);
    register_module("proj", *mlp);
  } else if (cfg.projector == "perceiver") {
    PerceiverConfig p;
    p.n_in = cfg.encoder.dim;
    p.dim = hidden;
    p.n_out = n_out;
    p.n_queries = cfg.n_tokens;
    p.n_layers = cfg.perceiver_layers;
    p.n_heads = cfg.perceiver_heads;
    p.n_ff = 4 * hidden;
    perceiver = std::make_unique<PerceiverResampler>(p, rng);
    register_module("perceiver", *perceiver);
  } else {
    throw_error(ErrorKind::invalid_input,
                "signal tower: projector \"" + cfg.projector + "\" (mlp or perceiver)");
  }
}

Tensor SignalTower::tokens(const Tensor& x) const {
  const Tensor h = encoder.forward(x);
  return mlp ? mlp->forward(adaptive_avg_pool_time(h, cfg_.n_tokens)) : perceiver->forward(h);
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

#include "nn/mlp.h"

#include "ops/elementwise.h"

namespace anymal::nn {

Mlp::Mlp(const BlockConfig& cfg, Rng& rng)
    : up(cfg.dim, cfg.ff_dim, cfg.bias, rng),
      down(cfg.ff_dim, cfg.dim, cfg.bias, rng),
      kind_(cfg.mlp) {
  if (kind_ == MlpKind::swiglu) {
    gate = std::make_unique<Linear>(cfg.dim, cfg.ff_dim, cfg.bias, rng);
    register_module("ffn_gate", *gate);
  }
  register_module("ffn_up", up);
  register_module("ffn_down", down);
}

Tensor Mlp::forward(const Tensor& x) const {
  Tensor h;
  switch (kind_) {
    case MlpKind::swiglu:
      h = ops::swiglu(gate->forward(x), up.forward(x));
      break;
    case MlpKind::gelu:
      h = ops::gelu(up.forward(x));
      break;
    case MlpKind::gelu_erf:
      h = ops::gelu_erf(up.forward(x));
      break;
    case MlpKind::quick_gelu:
      h = ops::quick_gelu(up.forward(x));
      break;
  }
  return down.forward(h);
}

}  // namespace anymal::nn

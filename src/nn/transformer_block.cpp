#include "nn/transformer_block.h"

#include "ops/elementwise.h"

namespace anymal::nn {

namespace {
std::unique_ptr<Module> make_norm(const BlockConfig& cfg) {
  if (cfg.norm == NormKind::rms) return std::make_unique<RMSNorm>(cfg.dim, cfg.norm_eps);
  return std::make_unique<LayerNorm>(cfg.dim, cfg.norm_eps, true);
}
}  // namespace

TransformerBlock::TransformerBlock(const BlockConfig& cfg, Rng& rng)
    : attn_norm(make_norm(cfg)),
      ffn_norm(make_norm(cfg)),
      attn(cfg, rng),
      mlp(cfg, rng),
      norm_kind_(cfg.norm) {
  register_module("attn_norm", *attn_norm);
  register_module("ffn_norm", *ffn_norm);
  // attention and mlp parameters sit directly under the block, as in GGUF (blk.N.attn_q...)
  register_module("", attn);
  register_module("", mlp);
}

Tensor TransformerBlock::norm(const Module& m, const Tensor& x) const {
  if (norm_kind_ == NormKind::rms) return static_cast<const RMSNorm&>(m).forward(x);
  return static_cast<const LayerNorm&>(m).forward(x);
}

Tensor TransformerBlock::forward(const Tensor& x, const Tensor& positions,
                                 const Tensor& mask) const {
  pre_forward();
  Tensor h = ops::add(x, attn.forward(norm(*attn_norm, x), positions, mask));
  return ops::add(h, mlp.forward(norm(*ffn_norm, h)));
}

}  // namespace anymal::nn

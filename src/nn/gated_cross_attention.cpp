#include "nn/gated_cross_attention.h"

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

GatedCrossAttention::GatedCrossAttention(const BlockConfig& cfg, Rng& rng)
    : attn_norm(cfg.dim, cfg.norm_eps),
      ffn_norm(cfg.dim, cfg.norm_eps),
      q(cfg.dim, cfg.n_head * cfg.head_dim(), false, rng),
      k(cfg.dim, cfg.kv_heads() * cfg.head_dim(), false, rng),
      v(cfg.dim, cfg.kv_heads() * cfg.head_dim(), false, rng),
      o(cfg.n_head * cfg.head_dim(), cfg.dim, false, rng),
      mlp(cfg, rng),
      cfg_(cfg) {
  if (cfg.dim % cfg.n_head != 0 || cfg.n_head % cfg.kv_heads() != 0)
    throw_error(ErrorKind::invalid_input, "cross-attention: dim " + std::to_string(cfg.dim) + ", " +
                                              std::to_string(cfg.n_head) + " heads, " +
                                              std::to_string(cfg.kv_heads()) +
                                              " kv heads do not divide");
  register_module("attn_norm", attn_norm);
  register_module("attn_q", q);
  register_module("attn_k", k);
  register_module("attn_v", v);
  register_module("attn_output", o);
  gate_attn = register_parameter("gate_attn", Tensor::zeros({1}));
  register_module("ffn_norm", ffn_norm);
  register_module("", mlp);
  gate_ffn = register_parameter("gate_ffn", Tensor::zeros({1}));
}

Tensor GatedCrossAttention::forward(const Tensor& x, const Tensor& media) const {
  if (x.ndim() != 3 || media.ndim() != 3 || x.dim(0) != media.dim(0) || x.dim(2) != cfg_.dim ||
      media.dim(2) != cfg_.dim || media.dim(1) < 1)
    throw_error(ErrorKind::invalid_input, "cross-attention wants x [B, T, " +
                                              std::to_string(cfg_.dim) + "] and media [B, M, " +
                                              std::to_string(cfg_.dim) + "], got " +
                                              x.shape().str() + " and " + media.shape().str());
  const int64_t B = x.dim(0), T = x.dim(1), M = media.dim(1), hd = cfg_.head_dim();
  Tensor qh = ops::reshape(q.forward(attn_norm.forward(x)), {B, T, cfg_.n_head, hd});
  Tensor kh = ops::reshape(k.forward(media), {B, M, cfg_.kv_heads(), hd});
  Tensor vh = ops::reshape(v.forward(media), {B, M, cfg_.kv_heads(), hd});
  Tensor att = ops::attention(qh, kh, vh, false);
  Tensor a = o.forward(ops::reshape(att, {B, T, cfg_.n_head * hd}));
  Tensor y = ops::add(x, ops::mul(a, ops::tanh(gate_attn)));
  return ops::add(y, ops::mul(mlp.forward(ffn_norm.forward(y)), ops::tanh(gate_ffn)));
}

}  // namespace anymal::nn

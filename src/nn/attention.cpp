#include "nn/attention.h"

#include "ops/attention.h"
#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::nn {

SelfAttention::SelfAttention(const BlockConfig& cfg, Rng& rng)
    : q(cfg.dim, cfg.n_head * cfg.head_dim(), cfg.bias, rng),
      k(cfg.dim, cfg.kv_heads() * cfg.head_dim(), cfg.bias, rng),
      v(cfg.dim, cfg.kv_heads() * cfg.head_dim(), cfg.bias, rng),
      o(cfg.n_head * cfg.head_dim(), cfg.dim, cfg.bias, rng),
      cfg_(cfg) {
  if (cfg.dim % cfg.n_head != 0 || cfg.n_head % cfg.kv_heads() != 0)
    throw_error(ErrorKind::invalid_input,
                "attention: dim " + std::to_string(cfg.dim) + ", " + std::to_string(cfg.n_head) +
                    " heads, " + std::to_string(cfg.kv_heads()) + " kv heads do not divide");
  register_module("attn_q", q);
  register_module("attn_k", k);
  register_module("attn_v", v);
  register_module("attn_output", o);
}

Tensor SelfAttention::forward(const Tensor& x, const Tensor& positions, const Tensor& mask) const {
  ops::detail::expect_ndim("attention block", x, 3, "x [B,T,dim]");
  int64_t B = x.dim(0), T = x.dim(1), hd = cfg_.head_dim();
  Tensor qh = ops::reshape(q.forward(x), {B, T, cfg_.n_head, hd});
  Tensor kh = ops::reshape(k.forward(x), {B, T, cfg_.kv_heads(), hd});
  Tensor vh = ops::reshape(v.forward(x), {B, T, cfg_.kv_heads(), hd});
  if (cfg_.rope) {
    qh = ops::rope(qh, positions, cfg_.rope_base, cfg_.rope_mode);
    kh = ops::rope(kh, positions, cfg_.rope_base, cfg_.rope_mode);
  }
  Tensor att = ops::attention(qh, kh, vh, cfg_.causal, mask);
  return o.forward(ops::reshape(att, {B, T, cfg_.n_head * hd}));
}

}  // namespace anymal::nn

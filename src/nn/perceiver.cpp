#include "nn/perceiver.h"

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

PerceiverResampler::Layer::Layer(int64_t dim, int64_t ff, float eps, Rng& rng)
    : ln_q(dim, eps),
      ln_kv(dim, eps),
      ln_ff(dim, eps),
      attn_q(dim, dim, false, rng),
      attn_k(dim, dim, false, rng),
      attn_v(dim, dim, false, rng),
      attn_out(dim, dim, false, rng),
      ffn_up(dim, ff, false, rng),
      ffn_down(ff, dim, false, rng) {
  register_module("ln_q", ln_q);
  register_module("ln_kv", ln_kv);
  register_module("ln_ff", ln_ff);
  register_module("attn_q", attn_q);
  register_module("attn_k", attn_k);
  register_module("attn_v", attn_v);
  register_module("attn_out", attn_out);
  register_module("ffn_up", ffn_up);
  register_module("ffn_down", ffn_down);
}

PerceiverResampler::PerceiverResampler(const PerceiverConfig& c, Rng& rng)
    : cfg_(c),
      in_(c.n_in, c.dim, true, rng),
      ln_out_(c.dim, c.eps),
      out_(c.dim, c.n_out, true, rng) {
  if (c.n_in <= 0 || c.dim <= 0 || c.n_out <= 0 || c.n_queries <= 0 || c.n_layers <= 0 ||
      c.n_heads <= 0 || c.dim % c.n_heads != 0 || c.n_ff <= 0)
    throw_error(ErrorKind::invalid_input,
                "perceiver: inconsistent sizes (dim must divide by heads)");
  register_module("in", in_);
  std::vector<float> init(size_t(c.n_queries * c.dim));
  for (float& v : init) v = rng.normal(0.0f, 0.02f);
  latents_ = register_parameter("latents", Tensor::from_floats(init, {c.n_queries, c.dim}));
  for (int64_t i = 0; i < c.n_layers; ++i) {
    layers_.push_back(std::make_unique<Layer>(c.dim, c.n_ff, c.eps, rng));
    register_module("blk." + std::to_string(i), *layers_.back());
  }
  register_module("ln_out", ln_out_);
  register_module("out", out_);
}

Tensor PerceiverResampler::forward(const Tensor& features) const {
  const PerceiverConfig& c = cfg_;
  if (features.ndim() != 3 || features.dim(2) != c.n_in)
    throw_error(ErrorKind::invalid_input, "perceiver wants features [B, N, " +
                                              std::to_string(c.n_in) + "], got " +
                                              features.shape().str());
  const int64_t B = features.dim(0), Q = c.n_queries, H = c.n_heads, D = c.dim;
  Tensor x = in_.forward(features);
  Tensor lat = ops::add(Tensor::zeros({B, Q, D}), ops::reshape(latents_, {1, Q, D}));
  auto heads = [&](const Tensor& t) { return ops::reshape(t, {B, t.dim(1), H, D / H}); };
  for (const auto& l : layers_) {
    Tensor q_in = l->ln_q.forward(lat);
    Tensor kv_in = ops::concat({l->ln_kv.forward(x), q_in}, 1);  // [B, N + Q, D]
    Tensor a = ops::attention(heads(l->attn_q.forward(q_in)), heads(l->attn_k.forward(kv_in)),
                              heads(l->attn_v.forward(kv_in)), false);
    lat = ops::add(lat, l->attn_out.forward(ops::reshape(a, {B, Q, D})));
    Tensor h = l->ffn_up.forward(l->ln_ff.forward(lat));
    lat = ops::add(lat, l->ffn_down.forward(ops::gelu(h)));
  }
  return out_.forward(ln_out_.forward(lat));
}

}  // namespace anymal::nn

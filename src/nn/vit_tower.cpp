#include "nn/vit_tower.h"

#include <cmath>

#include "core/error.h"
#include "ops/ops.h"

namespace anymal::nn {

BlockConfig VitTowerConfig::block() const {
  return BlockConfig::encoder(dim, n_head, ff, eps,
                              quick_gelu ? MlpKind::quick_gelu : MlpKind::gelu);
}

VitTower::VitTower(const VitTowerConfig& c, Rng& rng)
    : cfg_(c), pre_ln_(c.dim, c.eps), post_ln_(c.dim, c.eps) {
  if (c.image_size <= 0 || c.patch <= 0 || c.image_size % c.patch != 0 || c.n_layer <= 0 ||
      c.dim % c.n_head != 0)
    throw_error(ErrorKind::invalid_input,
                "vision tower: image size must be a multiple of the "
                "patch size, dim a multiple of the heads");
  const float patch_std = 1.0f / std::sqrt(float(3 * c.patch * c.patch));
  class_embd_ = register_parameter("class_embd", randn({c.dim}, rng, 0.02f));
  patch_w_ =
      register_parameter("patch_embd.weight", randn({c.dim, 3, c.patch, c.patch}, rng, patch_std));
  patch_b_ = register_parameter("patch_embd.bias", Tensor::zeros({c.dim}));
  pos_ = register_parameter("position_embd.weight", randn({c.n_patches() + 1, c.dim}, rng, 0.02f));
  register_module("pre_ln", pre_ln_);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    blocks.push_back(std::make_unique<TransformerBlock>(c.block(), rng));
    register_module("blk." + std::to_string(i), *blocks.back());
  }
  register_module("post_ln", post_ln_);
}

Tensor VitTower::embed(const Tensor& pixels) const {
  const int64_t B = pixels.dim(0), E = cfg_.dim;
  Tensor x = ops::conv2d_patch(pixels, patch_w_, patch_b_);  // [B, N, E]
  Tensor cls = ops::expand(ops::reshape(class_embd_, {1, 1, E}), {B, 1, E});
  x = ops::concat({cls, x}, 1);
  x = ops::add(x, ops::reshape(pos_, {1, pos_.dim(0), E}));
  return pre_ln_.forward(x);
}

Tensor VitTower::features(const Tensor& pixels) const {
  Tensor x = embed(pixels);
  const Tensor none;
  for (int64_t i = 0; i < cfg_.feature_blocks(); ++i) x = blocks[size_t(i)]->forward(x, none);
  return ops::slice(x, 1, 1, x.dim(1));
}

Tensor VitTower::pooled(const Tensor& pixels) const {
  Tensor x = embed(pixels);
  const Tensor none;
  for (const auto& b : blocks) x = b->forward(x, none);
  Tensor cls = ops::reshape(ops::slice(x, 1, 0, 1), {x.dim(0), cfg_.dim});
  return post_ln_.forward(cls);
}

std::string VitTower::clip_tensor_name(const std::string& param) {
  return nn::clip_tensor_name("v", param);
}

std::string clip_tensor_name(const std::string& prefix, const std::string& param) {
  std::string n = prefix + "." + param;
  for (const auto& [from, to] : {std::pair<const char*, const char*>{".attn_norm.", ".ln1."},
                                 {".ffn_norm.", ".ln2."},
                                 {".attn_output.", ".attn_out."}}) {
    const size_t at = n.find(from);
    if (at != std::string::npos) n = n.substr(0, at) + to + n.substr(at + std::string(from).size());
  }
  return n;
}

MlpProjector::MlpProjector(int64_t n_in, int64_t n_hidden, int64_t n_out, Rng& rng)
    : mm0_(n_in, n_hidden, true, rng), mm2_(n_hidden, n_out, true, rng) {
  register_module("0", mm0_);
  register_module("2", mm2_);
}

Tensor MlpProjector::forward(const Tensor& features) const {
  return mm2_.forward(ops::gelu(mm0_.forward(features)));
}

}  // namespace anymal::nn

// A trainable CLIP-style vision transformer: patch-embedding conv (with bias), class token,
// learned positions, pre-LN, pre-norm blocks (LayerNorm, biases, GELU, bidirectional), post-LN.
// features() is what LLaVA feeds its projector: the output of the second-to-last block (of
// the only block when there is one), class token dropped — as the `clip` inference path
// (models/encoders/vit.h) and llama.cpp compute it, so an exported tower gives the same
// features. pooled() is the CLIP embedding: all blocks, post-LN on the class token.
// Parameter names are the `clip` GGUF names under "v." except inside blocks, where
// TransformerBlock's (attn_norm, attn_output, ffn_norm) stand for clip's (ln1, attn_out, ln2).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/transformer_block.h"

namespace anymal::nn {

struct VitTowerConfig {
  int64_t image_size = 0, patch = 0, dim = 0, n_layer = 0, n_head = 0, ff = 0;
  float eps = 1e-5f;
  bool quick_gelu = false;  // CLIP's x*sigmoid(1.702x); else GELU (tanh approximation)
  int64_t n_patches() const { return (image_size / patch) * (image_size / patch); }
  int64_t feature_blocks() const { return n_layer > 1 ? n_layer - 1 : 1; }
  BlockConfig block() const;
};

class VitTower : public Module {
 public:
  VitTower(const VitTowerConfig& cfg, Rng& rng);
  const VitTowerConfig& config() const { return cfg_; }
  // pixels [B, 3, S, S] -> [B, n_patches, dim]
  Tensor features(const Tensor& pixels) const;
  // pixels [B, 3, S, S] -> [B, dim]
  Tensor pooled(const Tensor& pixels) const;
  // The `clip` GGUF tensor of one of this module's parameters: "v." + the name, with clip's
  // block names (ln1, attn_out, ln2) for TransformerBlock's.
  static std::string clip_tensor_name(const std::string& param);

  std::vector<std::unique_ptr<TransformerBlock>> blocks;

 private:
  Tensor embed(const Tensor& pixels) const;  // -> [B, 1 + n_patches, dim] after pre-LN
  VitTowerConfig cfg_;
  Tensor class_embd_, patch_w_, patch_b_, pos_;
  LayerNorm pre_ln_, post_ln_;
};

// LLaVA's projector: mm.2(gelu(mm.0(x))), the `mlp` type of clip files.
// The tensor name in a `clip` file of a tower's parameter: prefix "v" (vision), "a" (audio)
// or "imu", and llama.cpp's block names (ln1, ln2, attn_out for attn_norm, ffn_norm,
// attn_output).
std::string clip_tensor_name(const std::string& prefix, const std::string& param);

class MlpProjector : public Module {
 public:
  MlpProjector(int64_t n_in, int64_t n_hidden, int64_t n_out, Rng& rng);
  Tensor forward(const Tensor& features) const;  // [B, N, n_in] -> [B, N, n_out]
  void set_compute_dtype(DType dtype) {
    mm0_.set_compute_dtype(dtype);
    mm2_.set_compute_dtype(dtype);
  }

 private:
  Linear mm0_, mm2_;
};

}  // namespace anymal::nn

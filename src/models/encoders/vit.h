// The CLIP/SigLIP-style vision transformer of llama.cpp's `clip` GGUF files (v.* tensors):
// patch-embedding conv (optional bias), optional class token, learned positions, optional
// pre-LN, pre-LN blocks with biases (GELU when clip.use_gelu, else quick-GELU), optional
// post-LN. encode() returns the features of the layer LLaVA reads: the output of the
// second-to-last block (clip.vision.feature_layer overrides it), class token dropped.
// Weights are widened to f32 at load. Inference only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"

namespace anymal::models {

struct VitConfig {
  int64_t image_size = 0, patch_size = 0, n_embd = 0, n_ff = 0, n_head = 0, n_layer = 0;
  int64_t n_layer_run = 0;  // blocks executed (the feature layer)
  float eps = 1e-5f;
  bool use_gelu = false, has_class = false;
  float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1};
  int64_t n_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
};

class VitEncoder {
 public:
  // Reads config and weights from a `clip` file; errors name the tensor or key that is off.
  static std::unique_ptr<VitEncoder> from_gguf(const GgufFile& f);
  const VitConfig& config() const { return cfg_; }
  // pixels: [B, 3, S, S] f32 (preprocessed, S = image_size) -> [B, n_patches, n_embd].
  Tensor encode(const Tensor& pixels) const;

 private:
  struct Block {
    Tensor ln1_w, ln1_b, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w,
        fc2_b;
  };
  VitConfig cfg_;
  Tensor patch_w_, patch_b_, class_, pos_, pre_w_, pre_b_, post_w_, post_b_;
  std::vector<Block> blocks_;
};

// [S, S, 3] interleaved (preprocess_llava's layout) -> [1, 3, S, S].
Tensor pixels_to_chw(const std::vector<float>& hwc, int64_t size);

}  // namespace anymal::models

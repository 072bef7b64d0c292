// The trainable AnyMAL model: a CLIP-style vision tower (nn::VitTower), a projector (LLaVA's
// mlp or AnyMAL's Perceiver resampler) and a Llama language model (nn::LlamaLM) in one module
// tree whose parameter names are the GGUF tensor names of the two exported files: v.* and
// mm.* (the mmproj), token_embd / blk.N / output* (the language model).
//
// A multimodal example is [BOS] before <image tokens> after answer, the loss the mean
// cross-entropy of the answer tokens (teacher forcing); a text-only example has no image.
#pragma once

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/llama_lm.h"
#include "nn/perceiver.h"
#include "nn/vit_tower.h"

namespace anymal::models {

struct AnymalConfig {
  nn::LlamaLmConfig lm;
  nn::VitTowerConfig vit;
  std::string projector = "mlp";  // "mlp" or "perceiver"
  int64_t proj_hidden = 0;        // mlp hidden width (0: the LM's dim)
  int64_t perceiver_queries = 16, perceiver_layers = 2, perceiver_heads = 4;
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};

  nlohmann::json to_json() const;
  // Unknown keys and bad values throw invalid_input naming `where` and the key.
  static AnymalConfig from_json(const nlohmann::json& j, const std::string& where);
};

struct MultimodalExample {
  std::vector<int32_t> before;  // text before the image, BOS first
  std::vector<int32_t> after;   // text after the image, up to where the answer starts
  std::vector<int32_t> answer;  // the tokens to learn, EOS last
  bool has_image = true;
};

class AnymalModel : public nn::Module {
 public:
  AnymalModel(const AnymalConfig& cfg, Rng& rng);
  const AnymalConfig& config() const { return cfg_; }
  int64_t n_image_tokens() const;

  // pixels [B, 3, S, S] (normalized) -> [B, n_image_tokens, lm dim]
  Tensor image_tokens(const Tensor& pixels) const;
  // Mean answer-token cross-entropy over the batch; pixels [B_img, 3, S, S] holds the images
  // of the examples with has_image, in order. Right-padded to the longest example.
  Tensor loss(const std::vector<MultimodalExample>& batch, const Tensor& pixels) const;
  // The logits of one example's sequence (before, image, after, answer): [1, T, vocab].
  Tensor logits(const MultimodalExample& ex, const Tensor& pixels) const;
  // Runs every Linear's matmuls in `dtype` (bf16: oneDNN bf16 GEMMs on bf16 copies; the f32
  // weights stay the masters the optimizer updates).
  void set_compute_dtype(DType dtype);
  // CLIP's symmetric contrastive loss between images [B, 3, S, S] (the tower's pooled output)
  // and their captions (mean token embedding of the LM): each image must pick its own caption
  // among the batch's and each caption its image. Temperature 0.07.
  Tensor clip_loss(const std::vector<std::vector<int32_t>>& captions, const Tensor& pixels) const;

  nn::VitTower vit;
  std::unique_ptr<nn::MlpProjector> mlp;
  std::unique_ptr<nn::PerceiverResampler> perceiver;
  nn::LlamaLM lm;
  nn::Linear clip_img, clip_txt;  // contrastive heads (stage "clip"); not exported

 private:
  Tensor sequence(const MultimodalExample& ex, const Tensor& image, int64_t pad_to,
                  int32_t pad_id) const;
  AnymalConfig cfg_;
};

}  // namespace anymal::models

// The trainable AnyMAL model: a CLIP-style vision tower (nn::VitTower), a projector (LLaVA's
// mlp or AnyMAL's Perceiver resampler), optional audio and IMU towers (nn::SignalTower) and a
// Llama language model (nn::LlamaLM) in one module tree whose parameter names are the GGUF
// tensor names of the two exported files: v.*, mm.*, a.*, imu.* (the mmproj), token_embd /
// blk.N / output* (the language model).
//
// A multimodal example is [BOS] before <input tokens> after answer, the input an image, an
// audio clip or a motion trace; the loss is the mean cross-entropy of the answer tokens.
// In the cross-attention family (config().xattn_every > 0) the input tokens take no positions:
// the sequence is the text alone, and gated cross-attention blocks (xattn.L.*, exported in the
// mmproj) before every N-th LM block attend to all the example's input tokens. (Inference
// matches this for a prompt evaluated at once; in a multi-turn chat, turns already evaluated
// do not see an input attached later.)
#pragma once

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/anymal/anymal_config.h"
#include "models/anymal/media.h"
#include "nn/gated_cross_attention.h"
#include "nn/llama_lm.h"
#include "nn/perceiver.h"
#include "nn/signal_tower.h"
#include "nn/vit_tower.h"

namespace anymal::models {

struct MultimodalExample {
  std::vector<int32_t> before;       // text before the input, BOS first
  std::vector<int32_t> after;        // text after the input, up to where the answer starts
  std::vector<int32_t> answer;       // the tokens to learn, EOS last
  Modality media = Modality::image;  // the input between before and after (none: text only)
  // Further inputs (an image and a spoken question), each followed by its text:
  // before, media, after, more[0].media, more[0].text, ..., answer.
  struct MediaText {
    Modality media = Modality::none;
    std::vector<int32_t> text;
  };
  std::vector<MediaText> more;
  // Which answer tokens are targets (empty: all). Follow-up turns about the same input sit in
  // `answer` (reply EOS, next question, reply EOS, ...): the questions are context, not targets.
  std::vector<uint8_t> target;
  bool is_target(size_t k) const { return target.empty() || target[k] != 0; }
  int64_t n_targets() const;
  std::vector<Modality> inputs() const;  // media (unless none), then more's, in order
  int64_t n_text() const;                // tokens before the answer
};

// A batch's inputs per modality, each holding those of the examples with that modality in
// order: pixels [n, 3, S, S] normalized, audio [n, frames, 80] and imu [n, steps, 6] as
// signal_features.h makes them.
struct MediaBatch {
  Tensor pixels, audio, imu;
  const Tensor& of(Modality m) const {
    return m == Modality::image ? pixels : m == Modality::audio ? audio : imu;
  }
};

class AnymalModel : public nn::Module {
 public:
  AnymalModel(const AnymalConfig& cfg, Rng& rng);
  const AnymalConfig& config() const { return cfg_; }
  int64_t n_image_tokens() const;
  // Tokens one input of the modality becomes (0 for none); a modality without a tower throws.
  int64_t n_media_tokens(Modality m) const;
  // Sequence positions one input takes: n_media_tokens, 0 with cross-attention.
  int64_t n_media_positions(Modality m) const;
  int64_t prefix_length(const MultimodalExample& ex) const;  // positions before the answer

  // pixels [B, 3, S, S] (normalized) -> [B, n_image_tokens, lm dim]
  Tensor image_tokens(const Tensor& pixels) const;
  // inputs of one modality (as in MediaBatch) -> [B, n_media_tokens, lm dim]
  Tensor media_tokens(Modality m, const Tensor& inputs) const;
  // Mean answer-token cross-entropy over the batch (teacher forcing), right-padded to the
  // longest example; `media` holds the inputs of the examples, per modality in order.
  Tensor loss(const std::vector<MultimodalExample>& batch, const MediaBatch& media) const;
  Tensor loss(const std::vector<MultimodalExample>& batch, const Tensor& pixels) const {
    return loss(batch, MediaBatch{pixels, {}, {}});
  }
  // The logits of one example's sequence (before, input, after, answer): [1, T, vocab].
  Tensor logits(const MultimodalExample& ex, const MediaBatch& media) const;
  Tensor logits(const MultimodalExample& ex, const Tensor& pixels) const {
    return logits(ex, MediaBatch{pixels, {}, {}});
  }
  // Runs every Linear's matmuls in `dtype` (bf16: oneDNN bf16 GEMMs on bf16 copies; the f32
  // weights stay the masters the optimizer updates).
  void set_compute_dtype(DType dtype);
  // CLIP's symmetric contrastive loss between inputs of one modality (the tower's pooled
  // output) and their captions (mean token embedding of the LM): each input must pick its own
  // caption among the batch's and each caption its input. Temperature 0.07.
  Tensor clip_loss(const std::vector<std::vector<int32_t>>& captions, Modality m,
                   const Tensor& inputs) const;
  Tensor clip_loss(const std::vector<std::vector<int32_t>>& captions, const Tensor& pixels) const {
    return clip_loss(captions, Modality::image, pixels);
  }

  nn::VitTower vit;
  std::unique_ptr<nn::MlpProjector> mlp;
  std::unique_ptr<nn::PerceiverResampler> perceiver;
  nn::LlamaLM lm;
  nn::Linear clip_img, clip_txt;  // contrastive heads (stage "clip"); not exported
  // AnyMAL's other modalities, when configured: a.* / mm.a.mlp.* and imu.* / mm.imu.mlp.*,
  // with their contrastive heads (clip_head.audio, clip_head.imu; not exported).
  std::unique_ptr<nn::SignalTower> audio, imu;
  std::unique_ptr<nn::Linear> clip_audio, clip_imu;
  // The cross-attention family's blocks, one before each LM block config().xattn_layers()
  // names, in that order; empty for decoder-only models.
  std::vector<std::unique_ptr<nn::GatedCrossAttention>> xattn;

 private:
  const nn::SignalTower& tower(Modality m) const;
  // The LM over embeddings h [B, T, dim]; with cross-attention, row b attends to memory[b]
  // ([1, M, dim], its inputs' tokens; undefined: none).
  Tensor run_lm(const Tensor& h, const std::vector<Tensor>& memory) const;
  // The example's input embeddings, right-padded to pad_to positions; inputs[i] holds the
  // projected tokens of ex.inputs()[i], [1, n, dim].
  Tensor sequence(const MultimodalExample& ex, const std::vector<Tensor>& inputs, int64_t pad_to,
                  int32_t pad_id) const;
  AnymalConfig cfg_;
};

}  // namespace anymal::models

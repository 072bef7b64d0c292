// Everything an mmproj file can turn into language-model embeddings: the vision tower and,
// when the file has them, the audio and IMU towers. Inputs arrive as files or bytes (an
// upload) and are decoded per modality: images (formats/image), sound (formats/audio: WAV,
// FLAC, OGG at any rate, mixed to mono, resampled to 16 kHz), motion (formats/imu: CSV).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "models/anymal/media.h"
#include "models/anymal/signal_model.h"
#include "models/anymal/vision.h"
#include "models/llm/cross_attention.h"

namespace anymal::models {

struct Encoders {
  std::unique_ptr<VisionModel> vision;  // null only for a text-only model
  std::unique_ptr<SignalModel> audio, imu;
  // The cross-attention family's blocks (null for decoder-only models); the language model
  // runs them once given (LlamaModel::set_cross_attention).
  std::shared_ptr<const CrossAttention> xattn;

  // n_llm_embd (when > 0) must match every tower's projection.
  static Encoders load(const std::string& mmproj, int64_t n_llm_embd = 0);
  bool has(Modality m) const;
  // Tokens one input becomes; an invalid_input error when the model has no such tower.
  int64_t n_tokens(Modality m) const;
  // [1, n_tokens, n_embd]. Bad bytes or a missing tower: invalid_input naming `name`.
  Tensor embed_bytes(Modality m, std::span<const uint8_t> bytes, std::string_view name) const;
  Tensor embed_file(Modality m, const std::string& path) const;
};

}  // namespace anymal::models

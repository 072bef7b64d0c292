// The sizes of an AnymalModel, as JSON in recipes and checkpoints: the language model, the
// vision tower and its projector, and optionally the audio and IMU towers (AnyMAL's other
// modalities; absent unless configured, so older configs and checkpoints read unchanged).
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/anymal/signal_features.h"
#include "nn/llama_lm.h"
#include "nn/signal_tower.h"
#include "nn/vit_tower.h"

namespace anymal::models {

// An audio or IMU tower: encoder sizes, the input window and the tokens it gives the LM.
struct SignalConfig {
  int64_t dim = 0, n_layer = 0, n_head = 0, ff = 0, tokens = 32;
  double seconds = 0;
  std::string projector = "mlp";  // "mlp" (pooled, linear-GELU-linear) or "perceiver"
  int64_t perceiver_layers = 2, perceiver_heads = 4;
  ImuStats mean = kImuDefaultMean, std = kImuDefaultStd;  // IMU channel scaling
  bool present() const { return dim > 0; }
  // n_in: 80 mel bins, or 6 IMU channels; steps: input steps per window.
  nn::SignalTowerConfig tower(int64_t n_in, int64_t steps) const;
};

struct AnymalConfig {
  nn::LlamaLmConfig lm;
  nn::VitTowerConfig vit;
  std::string projector = "mlp";  // "mlp" or "perceiver"
  int64_t proj_hidden = 0;        // mlp hidden width (0: the LM's dim)
  int64_t perceiver_queries = 16, perceiver_layers = 2, perceiver_heads = 4;
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
  SignalConfig audio, imu;
  // The family: 0 is decoder-only (AnyMAL, LLaVA: input tokens spliced into the sequence);
  // N > 0 is cross-attention (Flamingo): a gated cross-attention block before LM blocks 0, N,
  // 2N, ... attends to the inputs' tokens, which take no positions in the sequence.
  int64_t xattn_every = 0;
  std::vector<int64_t> xattn_layers() const;  // the LM blocks a cross-attention block precedes

  nn::SignalTowerConfig audio_tower() const;
  nn::SignalTowerConfig imu_tower() const;

  nlohmann::json to_json() const;
  // Unknown keys and bad values throw invalid_input naming `where` and the key.
  static AnymalConfig from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace anymal::models

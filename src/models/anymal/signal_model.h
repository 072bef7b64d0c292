// The audio or IMU tower of an mmproj file (signal_format.h), for inference: the input
// windowed as in training (signal_features.h; longer input is cut to the window with a
// warning), encoded, pooled and projected into the language model's embeddings. Weights are
// widened to f32 once at load; the forward pass is the trained module's, without autograd.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf.h"
#include "formats/imu.h"
#include "models/anymal/anymal_config.h"
#include "models/anymal/media.h"
#include "nn/signal_tower.h"

namespace anymal::models {

// The tower's sizes from a file that has it (signal_format.h's keys), for loading and for
// training from it. `m` is audio or imu.
SignalConfig signal_config_from_gguf(const GgufFile& f, Modality m);
bool has_signal_tower(const GgufFile& f, Modality m);
// Copies the tower's weights from the file (shapes must match its config).
void load_signal_tower(nn::SignalTower& tower, const GgufFile& f, Modality m);

class SignalModel {
 public:
  // nullptr when the file has no tower of that modality; n_llm_embd (when > 0) must equal the
  // projection size, else invalid_input naming both.
  static std::unique_ptr<SignalModel> load(const GgufFile& f, Modality m, int64_t n_llm_embd = 0);
  Modality modality() const { return modality_; }
  int64_t n_tokens() const { return cfg_.tokens; }
  double window_seconds() const { return cfg_.seconds; }
  // 16 kHz mono samples -> [1, n_tokens, n_embd] (an audio tower).
  Tensor embed_audio(const std::vector<float>& samples) const;
  // A 50 Hz trace (read_imu's default) -> [1, n_tokens, n_embd] (an IMU tower).
  Tensor embed_imu(const ImuTrace& trace) const;

 private:
  SignalModel(Modality m, const SignalConfig& cfg, int64_t n_out);
  Modality modality_;
  SignalConfig cfg_;
  Rng rng_;  // initializes the tower before the file's weights replace everything
  std::unique_ptr<nn::SignalTower> tower_;
};

}  // namespace anymal::models

// The audio and IMU towers of AnyMAL: a Whisper-shaped SequenceEncoder, its output averaged
// over time into a fixed number of tokens (adaptive average pooling, as torch's
// AdaptiveAvgPool1d bins it), and an mlp projector (linear, GELU, linear) into the language
// model's embedding space. AnyMAL feeds 32 tokens per audio or IMU input.
// Parameters: enc.* (the encoder) and proj.* (the projector: 0.weight ... 2.bias).
#pragma once

#include "nn/sequence_encoder.h"
#include "nn/vit_tower.h"

namespace anymal::nn {

struct SignalTowerConfig {
  SequenceEncoderConfig encoder;
  int64_t n_tokens = 32;    // tokens per input in the language model
  int64_t proj_hidden = 0;  // the projector's hidden width (0: the language model's)
};

class SignalTower : public Module {
 public:
  SignalTower(const SignalTowerConfig& cfg, int64_t n_out, Rng& rng);
  const SignalTowerConfig& config() const { return cfg_; }
  // [B, T, n_in] -> [B, n_tokens, n_out]; (T + 1) / 2 encoder steps must be >= n_tokens.
  Tensor tokens(const Tensor& x) const;
  // The contrastive embedding: the encoder's output averaged over time, [B, dim].
  Tensor pooled(const Tensor& x) const;

  SequenceEncoder encoder;
  MlpProjector projector;

 private:
  SignalTowerConfig cfg_;
};

// [B, T, D] -> [B, n, D]: bin i averages steps floor(i*T/n) .. ceil((i+1)*T/n) - 1.
Tensor adaptive_avg_pool_time(const Tensor& x, int64_t n);

}  // namespace anymal::nn

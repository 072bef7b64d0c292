// The audio and IMU towers of AnyMAL: a Whisper-shaped SequenceEncoder, then a projector into
// the language model's embedding space with a fixed number of tokens (AnyMAL feeds 32 per
// audio or IMU input): "mlp" averages the encoder's output over time into the tokens (adaptive
// average pooling, as torch's AdaptiveAvgPool1d bins it) and applies linear, GELU, linear;
// "perceiver" lets that many learned queries cross-attend to it (nn::PerceiverResampler).
// Parameters: enc.* (the encoder) and proj.* (mlp: 0.weight ... 2.bias) or perceiver.*.
#pragma once

#include <memory>
#include <string>

#include "nn/perceiver.h"
#include "nn/sequence_encoder.h"
#include "nn/vit_tower.h"

namespace anymal::nn {

struct SignalTowerConfig {
  SequenceEncoderConfig encoder;
  int64_t n_tokens = 32;          // tokens per input in the language model
  int64_t proj_hidden = 0;        // the projector's hidden width (0: the language model's)
  std::string projector = "mlp";  // "mlp" or "perceiver"
  int64_t perceiver_layers = 2, perceiver_heads = 4;
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
  std::unique_ptr<MlpProjector> mlp;  // one of the two
  std::unique_ptr<PerceiverResampler> perceiver;
  Module& projector() { return mlp ? static_cast<Module&>(*mlp) : *perceiver; }
  const Module& projector() const { return mlp ? static_cast<const Module&>(*mlp) : *perceiver; }

 private:
  SignalTowerConfig cfg_;
};

// [B, T, D] -> [B, n, D]: bin i averages steps floor(i*T/n) .. ceil((i+1)*T/n) - 1.
Tensor adaptive_avg_pool_time(const Tensor& x, int64_t n);

}  // namespace anymal::nn

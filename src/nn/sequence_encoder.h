// A trainable encoder in Whisper's shape for 1-D signals: the audio encoder (80 log-mel bins in)
// and the IMU encoder (6 channels in) of AnyMAL's other modalities. Conv1d (kernel 3, padding 1)
// and GELU, conv1d (kernel 3, stride 2, padding 1) and GELU, fixed sinusoidal positions
// (Whisper's), pre-LN transformer blocks (LayerNorm, biases, exact GELU, bidirectional), final
// LayerNorm. [B, T, n_in] -> [B, (T + 1) / 2, dim]; T / 2 rounded up is at most max_positions.
#pragma once

#include <memory>
#include <vector>

#include "nn/layers.h"
#include "nn/transformer_block.h"

namespace anymal::nn {

struct SequenceEncoderConfig {
  int64_t n_in = 80;  // input channels: mel bins, or IMU channels
  int64_t dim = 0, n_layer = 0, n_head = 0, ff = 0;
  int64_t max_positions = 1500;  // Whisper: 30 s of 10 ms frames, halved by the stride
  float eps = 1e-5f;
  BlockConfig block() const;
};

class SequenceEncoder : public Module {
 public:
  SequenceEncoder(const SequenceEncoderConfig& cfg, Rng& rng);
  const SequenceEncoderConfig& config() const { return cfg_; }
  Tensor forward(const Tensor& x) const;  // [B, T, n_in] -> [B, (T + 1) / 2, dim]

  std::vector<std::unique_ptr<TransformerBlock>> blocks;

 private:
  SequenceEncoderConfig cfg_;
  Tensor conv1_w_, conv1_b_, conv2_w_, conv2_b_, pos_;
  LayerNorm post_ln_;
};

// Whisper's sinusoids(length, channels): [length, channels], sin in the first half, cos in the
// second, timescales from 1 to 10000.
Tensor sinusoid_positions(int64_t length, int64_t channels);

}  // namespace anymal::nn

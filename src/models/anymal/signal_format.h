// How the audio and IMU towers are stored in a `clip` (mmproj) file beside the vision tower.
// Audio follows llama.cpp's multimodal library: clip.has_audio_encoder, clip.audio.* sizes
// (embedding_length, feed_forward_length, block_count, attention.head_count,
// attention.layer_norm_epsilon, num_mel_bins, projection_dim, projector_type) and Whisper-
// encoder tensors a.conv1d.{1,2}, a.position_embd, a.blk.N.{ln1,attn_q,attn_k,attn_v,
// attn_out,ln2,ffn_up,ffn_down}, a.post_ln. llama.cpp has no motion: the IMU tower uses the
// same layout under anymal.has_imu_encoder, anymal.imu.* and imu.*. Our projectors: time
// pooled to anymal.*.tokens then linear-GELU-linear, projector_type "anymal_pool_mlp" with
// tensors mm.a.mlp.{0,2} / mm.imu.mlp.{0,2}; or the Perceiver resampler, "anymal_perceiver"
// with mm.a.perceiver.* / mm.imu.perceiver.* (nn/perceiver.h's names) and
// anymal.*.perceiver.{block_count,head_count}. anymal.*.window_seconds is the input window.
#pragma once

#include <string>

namespace anymal::models {

inline constexpr const char* kSignalProjectorType = "anymal_pool_mlp";
inline constexpr const char* kSignalPerceiverType = "anymal_perceiver";

struct SignalTowerFormat {
  bool audio = true;
  std::string has_key;        // "clip.has_audio_encoder" / "anymal.has_imu_encoder"
  std::string key_prefix;     // "clip.audio" / "anymal.imu": sizes
  std::string anymal_prefix;  // "anymal.audio" / "anymal.imu": tokens, window
  std::string tensor_prefix;  // "a" / "imu"
  // nn::SignalTower parameter (enc.*, proj.*, perceiver.*) -> tensor name in the file.
  std::string tensor_name(const std::string& tower_param) const;
};

SignalTowerFormat audio_format();
SignalTowerFormat imu_format();

}  // namespace anymal::models

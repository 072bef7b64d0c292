#include "models/anymal/signal_format.h"

#include "core/error.h"
#include "nn/vit_tower.h"

namespace anymal::models {

std::string SignalTowerFormat::tensor_name(const std::string& p) const {
  if (p.rfind("enc.", 0) == 0) return nn::clip_tensor_name(tensor_prefix, p.substr(4));
  if (p.rfind("proj.", 0) == 0) return "mm." + tensor_prefix + ".mlp." + p.substr(5);
  if (p.rfind("perceiver.", 0) == 0) return "mm." + tensor_prefix + "." + p;
  throw_error(ErrorKind::internal, "signal tower parameter " + p + " has no tensor name");
}

SignalTowerFormat audio_format() {
  return {true, "clip.has_audio_encoder", "clip.audio", "anymal.audio", "a"};
}

SignalTowerFormat imu_format() {
  return {false, "anymal.has_imu_encoder", "anymal.imu", "anymal.imu", "imu"};
}

}  // namespace anymal::models

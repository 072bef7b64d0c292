#include "models/anymal/signal_model.h"

#include "core/autograd_node.h"
#include "core/error.h"
#include "core/log.h"
#include "formats/audio.h"
#include "formats/log_mel.h"
#include "models/anymal/signal_features.h"
#include "models/anymal/signal_format.h"

namespace anymal::models {

namespace {

const SignalTowerFormat& format_of(Modality m) {
  static const SignalTowerFormat audio = audio_format(), imu = imu_format();
  if (m != Modality::audio && m != Modality::imu)
    throw_error(ErrorKind::internal, "signal towers are audio or imu");
  return m == Modality::audio ? audio : imu;
}

int64_t n_in_of(Modality m) { return m == Modality::audio ? LogMelConfig().n_mels : kImuChannels; }

}  // namespace

bool has_signal_tower(const GgufFile& f, Modality m) {
  return f.get_bool(format_of(m).has_key, false);
}

SignalConfig signal_config_from_gguf(const GgufFile& f, Modality m) {
  const SignalTowerFormat& fmt = format_of(m);
  const std::string type = f.get_string(fmt.key_prefix + ".projector_type", "");
  if (type != kSignalProjectorType && type != kSignalPerceiverType)
    throw_error(ErrorKind::unsupported, f.path() + ": " + modality_name(m) + " projector type \"" +
                                            type + "\" (this build runs " + kSignalProjectorType +
                                            " and " + kSignalPerceiverType + ")");
  SignalConfig c;
  if (type == kSignalPerceiverType) {
    c.projector = "perceiver";
    c.perceiver_layers = f.get_int(fmt.anymal_prefix + ".perceiver.block_count");
    c.perceiver_heads = f.get_int(fmt.anymal_prefix + ".perceiver.head_count");
  }
  c.dim = f.get_int(fmt.key_prefix + ".embedding_length");
  c.ff = f.get_int(fmt.key_prefix + ".feed_forward_length");
  c.n_layer = f.get_int(fmt.key_prefix + ".block_count");
  c.n_head = f.get_int(fmt.key_prefix + ".attention.head_count");
  c.tokens = f.get_int(fmt.anymal_prefix + ".tokens");
  c.seconds = f.get_float(fmt.anymal_prefix + ".window_seconds");
  const int64_t n_in =
      f.get_int(m == Modality::audio ? "clip.audio.num_mel_bins" : "anymal.imu.channels");
  if (n_in != n_in_of(m))
    throw_error(ErrorKind::unsupported, f.path() + ": the " + modality_name(m) + " tower takes " +
                                            std::to_string(n_in) + " channels, not " +
                                            std::to_string(n_in_of(m)));
  if (c.dim <= 0 || c.ff <= 0 || c.n_layer <= 0 || c.n_head <= 0 || c.dim % c.n_head ||
      c.tokens <= 0 || !(c.seconds > 0 && c.seconds <= kMaxAudioSeconds))
    throw_error(ErrorKind::invalid_input,
                f.path() + ": bad " + modality_name(m) + " tower sizes or window");
  if (m == Modality::imu)
    for (const char* k : {"anymal.imu.channel_mean", "anymal.imu.channel_std"}) {
      const auto& a = f.get_array(k).floats;
      if (a.size() != 6)
        throw_error(ErrorKind::invalid_input, f.path() + ": " + k + " is not 6 numbers");
      auto& dst = std::string(k).ends_with("mean") ? c.mean : c.std;
      for (size_t i = 0; i < 6; ++i) dst[i] = float(a[i]);
    }
  return c;
}

void load_signal_tower(nn::SignalTower& tower, const GgufFile& f, Modality m) {
  const SignalTowerFormat& fmt = format_of(m);
  for (const auto& [name, t] : tower.named_parameters())
    tower.load_parameter(name, f.dequantize(fmt.tensor_name(name)));
}

SignalModel::SignalModel(Modality m, const SignalConfig& cfg, int64_t n_out)
    : modality_(m), cfg_(cfg), rng_(0) {
  const int64_t steps = m == Modality::audio ? audio_frames(cfg.seconds) : imu_steps(cfg.seconds);
  tower_ = std::make_unique<nn::SignalTower>(cfg.tower(n_in_of(m), steps), n_out, rng_);
}

std::unique_ptr<SignalModel> SignalModel::load(const GgufFile& f, Modality m, int64_t n_llm_embd) {
  if (!has_signal_tower(f, m)) return nullptr;
  const SignalConfig c = signal_config_from_gguf(f, m);
  const int64_t n_out = f.get_int(format_of(m).key_prefix + ".projection_dim");
  if (n_llm_embd > 0 && n_out != n_llm_embd)
    throw_error(ErrorKind::invalid_input,
                f.path() + ": projects " + modality_name(m) + " to " + std::to_string(n_out) +
                    " dimensions but the language model's embeddings have " +
                    std::to_string(n_llm_embd) + ": this mmproj belongs to another model");
  auto model = std::unique_ptr<SignalModel>(new SignalModel(m, c, n_out));
  load_signal_tower(*model->tower_, f, m);
  model->tower_->set_requires_grad(false);
  return model;
}

Tensor SignalModel::embed_audio(const std::vector<float>& samples) const {
  if (modality_ != Modality::audio) throw_error(ErrorKind::internal, "not an audio tower");
  if (double(samples.size()) > cfg_.seconds * kAudioSampleRate + 0.5)
    log_warn("audio of %.2f s: the model hears its first %.2f s",
             double(samples.size()) / kAudioSampleRate, cfg_.seconds);
  autograd::NoGrad no_grad;
  return tower_->tokens(audio_features({&samples}, cfg_.seconds));
}

Tensor SignalModel::embed_imu(const ImuTrace& trace) const {
  if (modality_ != Modality::imu) throw_error(ErrorKind::internal, "not an IMU tower");
  if (trace.n > imu_steps(cfg_.seconds))
    log_warn("motion of %.2f s: the model feels its first %.2f s", double(trace.n) / kImuRateHz,
             cfg_.seconds);
  autograd::NoGrad no_grad;
  return tower_->tokens(imu_features({&trace}, cfg_.seconds, cfg_.mean, cfg_.std));
}

}  // namespace anymal::models

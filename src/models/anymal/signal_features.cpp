#include "models/anymal/signal_features.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "formats/audio.h"
#include "formats/log_mel.h"

namespace anymal::models {

int64_t audio_frames(double window_seconds) {
  const LogMelConfig c;
  return int64_t(std::llround(window_seconds * c.sample_rate)) / c.hop;
}

int64_t imu_steps(double window_seconds) {
  return int64_t(std::llround(window_seconds * kImuRateHz));
}

Tensor audio_features(const std::vector<const std::vector<float>*>& clips, double window_seconds) {
  const LogMelConfig c;
  const int64_t n_samples = int64_t(std::llround(window_seconds * c.sample_rate));
  const int64_t T = audio_frames(window_seconds), M = c.n_mels;
  Tensor out = Tensor::empty({int64_t(clips.size()), T, M});
  float* dst = out.mutable_data<float>();
  std::vector<float> window(size_t(n_samples), 0.0f);
  for (size_t i = 0; i < clips.size(); ++i) {
    const std::vector<float>& s = *clips[i];
    std::fill(window.begin(), window.end(), 0.0f);
    std::copy_n(s.begin(), std::min<int64_t>(int64_t(s.size()), n_samples), window.begin());
    const LogMel mel = log_mel_spectrogram(window, c);  // [M, frames]
    for (int64_t t = 0; t < T; ++t)
      for (int64_t m = 0; m < M; ++m)
        dst[(int64_t(i) * T + t) * M + m] = mel.data[size_t(m * mel.n_frames + t)];
  }
  return out;
}

Tensor imu_features(const std::vector<const ImuTrace*>& traces, double window_seconds,
                    const ImuStats& mean, const ImuStats& std) {
  const int64_t T = imu_steps(window_seconds), C = kImuChannels;
  Tensor out = Tensor::zeros({int64_t(traces.size()), T, C});
  float* dst = out.mutable_data<float>();
  for (size_t i = 0; i < traces.size(); ++i) {
    const ImuTrace& tr = *traces[i];
    if (std::abs(tr.rate_hz - kImuRateHz) > 1e-9)
      throw_error(ErrorKind::invalid_input,
                  "imu_features: the trace is at " + std::to_string(tr.rate_hz) + " Hz, not 50 Hz");
    const int64_t n = std::min(T, tr.n);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t ch = 0; ch < C; ++ch)
        dst[(int64_t(i) * T + t) * C + ch] =
            (tr.data[size_t(t * C + ch)] - mean[size_t(ch)]) / std[size_t(ch)];
  }
  return out;
}

}  // namespace anymal::models

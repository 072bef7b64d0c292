#include "formats/log_mel.h"

#include <kissfft/kiss_fftr.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "backend/cpu/kernels.h"
#include "core/error.h"

namespace anymal {

namespace {

// Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
constexpr double kFsp = 200.0 / 3.0, kMinLogHz = 1000.0, kMinLogMel = kMinLogHz / kFsp;
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
  return hz >= kMinLogHz ? kMinLogMel + std::log(hz / kMinLogHz) / kLogStep : hz / kFsp;
}
double mel_to_hz(double mel) {
  return mel >= kMinLogMel ? kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel)) : mel * kFsp;
}

struct FftrFree {
  void operator()(kiss_fftr_state* s) const { kiss_fftr_free(s); }
};

}  // namespace

std::vector<float> mel_filters(const LogMelConfig& c) {
  const int n_bins = c.n_fft / 2 + 1;
  std::vector<double> fft_hz(static_cast<size_t>(n_bins)),
      mel_hz(static_cast<size_t>(c.n_mels + 2));
  for (int b = 0; b < n_bins; ++b) fft_hz[size_t(b)] = double(b) * c.sample_rate / c.n_fft;
  const double top = hz_to_mel(c.sample_rate / 2.0);
  for (int i = 0; i < c.n_mels + 2; ++i) mel_hz[size_t(i)] = mel_to_hz(top * i / (c.n_mels + 1));
  std::vector<float> w(size_t(c.n_mels) * size_t(n_bins));
  for (int m = 0; m < c.n_mels; ++m) {
    const double lo = mel_hz[size_t(m)], mid = mel_hz[size_t(m + 1)], hi = mel_hz[size_t(m + 2)];
    const double norm = 2.0 / (hi - lo);  // Slaney: each filter has unit area
    for (int b = 0; b < n_bins; ++b) {
      const double rise = (fft_hz[size_t(b)] - lo) / (mid - lo);
      const double fall = (hi - fft_hz[size_t(b)]) / (hi - mid);
      w[size_t(m) * size_t(n_bins) + size_t(b)] = float(std::max(0.0, std::min(rise, fall)) * norm);
    }
  }
  return w;
}

LogMel log_mel_spectrogram(const std::vector<float>& x, const LogMelConfig& c) {
  const int64_t n = int64_t(x.size()), pad = c.n_fft / 2, n_bins = c.n_fft / 2 + 1;
  if (c.n_fft % 2 != 0 || c.hop <= 0 || c.n_mels <= 0)
    throw_error(ErrorKind::invalid_input, "log-mel: n_fft must be even, hop and n_mels positive");
  if (n <= pad)
    throw_error(ErrorKind::invalid_input, "log-mel: " + std::to_string(n) +
                                              " samples are too few for a " +
                                              std::to_string(c.n_fft) + "-point window");
  // Centered frames: reflect-pad n_fft/2 on both sides (torch.stft's center=True).
  std::vector<float> padded(size_t(n + 2 * pad));
  std::copy(x.begin(), x.end(), padded.begin() + pad);
  for (int64_t i = 0; i < pad; ++i) {
    padded[size_t(pad - 1 - i)] = x[size_t(i + 1)];
    padded[size_t(pad + n + i)] = x[size_t(n - 2 - i)];
  }
  std::vector<float> window(size_t(c.n_fft));
  for (int k = 0; k < c.n_fft; ++k)
    window[size_t(k)] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * k / c.n_fft));  // periodic
  const std::vector<float> filters = mel_filters(c);
  std::unique_ptr<kiss_fftr_state, FftrFree> fft(kiss_fftr_alloc(c.n_fft, 0, nullptr, nullptr));
  if (!fft) throw_error(ErrorKind::internal, "log-mel: kissfft could not plan the FFT");

  LogMel out;
  out.n_mels = c.n_mels;
  out.n_frames = n / c.hop;  // whisper drops the STFT's last frame
  // Power spectra of every frame [n_frames, n_bins], then one GEMM with the filters.
  std::vector<float> power(size_t(out.n_frames * n_bins)), frame(static_cast<size_t>(c.n_fft));
  std::vector<kiss_fft_cpx> spec(static_cast<size_t>(n_bins));
  for (int64_t f = 0; f < out.n_frames; ++f) {
    const float* src = padded.data() + f * c.hop;
    for (int k = 0; k < c.n_fft; ++k) frame[size_t(k)] = src[k] * window[size_t(k)];
    kiss_fftr(fft.get(), frame.data(), spec.data());
    float* p = power.data() + f * n_bins;
    for (int64_t b = 0; b < n_bins; ++b)
      p[b] = spec[size_t(b)].r * spec[size_t(b)].r + spec[size_t(b)].i * spec[size_t(b)].i;
  }
  std::vector<float> mel(size_t(out.n_frames * c.n_mels));  // [n_frames, n_mels]
  cpu::MatmulParams mp;
  mp.m = out.n_frames;
  mp.n = c.n_mels;
  mp.k = n_bins;
  mp.trans_b = true;  // filters are [n_mels, n_bins]
  mp.lda = n_bins;
  mp.ldb = n_bins;
  mp.ldc = c.n_mels;
  cpu::cpu_kernels().matmul(mp, power.data(), filters.data(), mel.data());
  out.data.assign(size_t(out.n_mels * out.n_frames), 0.0f);
  float top = -INFINITY;
  for (int64_t f = 0; f < out.n_frames; ++f)
    for (int64_t m = 0; m < c.n_mels; ++m) {
      const float v = std::log10(std::max(mel[size_t(f * c.n_mels + m)], 1e-10f));
      out.data[size_t(m * out.n_frames + f)] = v;
      top = std::max(top, v);
    }
  for (float& v : out.data) v = (std::max(v, top - 8.0f) + 4.0f) / 4.0f;
  return out;
}

}  // namespace anymal

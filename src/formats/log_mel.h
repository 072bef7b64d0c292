// Whisper's audio front end: an 80-bin log-mel spectrogram of 16 kHz mono audio with 25 ms
// windows (n_fft 400, periodic Hann) every 10 ms (hop 160), computed as whisper's
// log_mel_spectrogram does: torch.stft with center=True (reflect padding), the last frame
// dropped, power spectrum, Slaney-normalized mel filters (librosa's defaults), log10 clamped
// at 1e-10, floored at max - 8, then (x + 4) / 4. FFTs through kissfft.
#pragma once

#include <cstdint>
#include <vector>

namespace anymal {

struct LogMelConfig {
  int sample_rate = 16000;
  int n_fft = 400;
  int hop = 160;
  int n_mels = 80;
};

// [n_mels, n_fft / 2 + 1] row-major: librosa.filters.mel(sr, n_fft, n_mels) (htk=False,
// norm="slaney"), computed in double and rounded to float as librosa returns it.
std::vector<float> mel_filters(const LogMelConfig& c);

struct LogMel {
  int64_t n_mels = 0, n_frames = 0;
  std::vector<float> data;  // [n_mels, n_frames] row-major
};

// n_frames = samples.size() / hop. Throws invalid_input for fewer than n_fft / 2 + 1 samples
// (reflect padding needs them).
LogMel log_mel_spectrogram(const std::vector<float>& samples, const LogMelConfig& c = {});

}  // namespace anymal

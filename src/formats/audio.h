// Audio in: WAV, FLAC, OGG/Vorbis (anything libsndfile reads) from a file or from bytes (the
// server's base64 uploads), mixed down to mono and resampled to 16 kHz with libsamplerate.
//
// Bounds, checked from the header before reading samples: at most kMaxAudioChannels channels
// and source rates up to kMaxAudioSourceRate; audio longer than max_seconds is clipped to its
// first max_seconds (decode_audio says so in Audio::clipped, and logs a warning), so an hour of
// audio costs no more than 30 s. Empty, corrupt or unsupported data throws
// Error(invalid_input, "NAME: problem").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anymal {

inline constexpr int kAudioSampleRate = 16000;  // what the encoders take (Whisper's rate)
inline constexpr double kMaxAudioSeconds = 30.0;
inline constexpr int kMaxAudioChannels = 8;
inline constexpr int kMaxAudioSourceRate = 384000;

struct Audio {
  std::vector<float> samples;  // mono, kAudioSampleRate, in [-1, 1] for integer sources
  int source_rate = 0;
  int source_channels = 0;
  double source_seconds = 0;  // before clipping
  bool clipped = false;       // longer than max_seconds: only the first max_seconds are here
};

Audio decode_audio(std::span<const uint8_t> bytes, std::string_view name_for_errors,
                   double max_seconds = kMaxAudioSeconds);
Audio load_audio(const std::string& path, double max_seconds = kMaxAudioSeconds);

// Mono samples from one rate to another (libsamplerate's medium sinc converter); the output has
// round(n * to / from) samples. Same rate: a copy.
std::vector<float> resample_audio(const std::vector<float>& samples, int from_rate, int to_rate);

// 16-bit PCM WAV of interleaved samples (mono by default) at `rate`, each rounded to the
// nearest k/32768 (tests, the synthetic world); save_wav is atomic.
std::vector<uint8_t> encode_wav(const std::vector<float>& samples, int rate, int channels = 1);
void save_wav(const std::string& path, const std::vector<float>& samples, int rate);

}  // namespace anymal

#include "formats/audio.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mapped_file.h"

namespace anymal {

namespace {

[[noreturn]] void fail(std::string_view name, const std::string& problem) {
  throw_error(ErrorKind::invalid_input, std::string(name) + ": " + problem);
}

// libsndfile reading from memory: the server's uploads never touch the disk.
struct MemoryReader {
  std::span<const uint8_t> bytes;
  sf_count_t pos = 0;

  static sf_count_t length(void* self) {
    return sf_count_t(static_cast<MemoryReader*>(self)->bytes.size());
  }
  static sf_count_t seek(sf_count_t offset, int whence, void* self) {
    auto* r = static_cast<MemoryReader*>(self);
    const sf_count_t size = sf_count_t(r->bytes.size());
    sf_count_t to = whence == SEEK_SET   ? offset
                    : whence == SEEK_CUR ? r->pos + offset
                                         : size + offset;
    r->pos = std::clamp<sf_count_t>(to, 0, size);
    return r->pos;
  }
  static sf_count_t read(void* dst, sf_count_t n, void* self) {
    auto* r = static_cast<MemoryReader*>(self);
    const sf_count_t left = sf_count_t(r->bytes.size()) - r->pos;
    n = std::clamp<sf_count_t>(n, 0, left);
    std::memcpy(dst, r->bytes.data() + r->pos, size_t(n));
    r->pos += n;
    return n;
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* self) { return static_cast<MemoryReader*>(self)->pos; }
};

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

}  // namespace

Audio decode_audio(std::span<const uint8_t> bytes, std::string_view name, double max_seconds) {
  if (bytes.empty()) fail(name, "empty file, not audio");
  MemoryReader reader{bytes};
  SF_VIRTUAL_IO io{MemoryReader::length, MemoryReader::seek, MemoryReader::read,
                   MemoryReader::write, MemoryReader::tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open_virtual(&io, SFM_READ, &info, &reader));
  if (!file)
    fail(name, std::string("not a readable audio file (WAV, FLAC, OGG): ") + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > kMaxAudioChannels)
    fail(name, std::to_string(info.channels) + " channels; at most " +
                   std::to_string(kMaxAudioChannels) + " are accepted");
  if (info.samplerate < 1000 || info.samplerate > kMaxAudioSourceRate)
    fail(name, "sample rate " + std::to_string(info.samplerate) + " Hz is outside 1000.." +
                   std::to_string(kMaxAudioSourceRate));
  if (info.frames <= 0) fail(name, "no audio samples");
  Audio out;
  out.source_rate = info.samplerate;
  out.source_channels = info.channels;
  out.source_seconds = double(info.frames) / info.samplerate;
  const sf_count_t limit = sf_count_t(std::max(0.0, max_seconds) * info.samplerate);
  const sf_count_t frames = std::min(info.frames, limit);
  out.clipped = info.frames > limit;
  if (out.clipped)
    log_warn("%.*s: %.1f s of audio, only the first %.1f s are used", int(name.size()), name.data(),
             out.source_seconds, max_seconds);
  // Read in blocks, mixing down to mono as we go (an 8-channel file never sits interleaved).
  std::vector<float> mono;
  mono.reserve(size_t(frames));
  std::vector<float> block(size_t(4096) * size_t(info.channels));
  for (sf_count_t done = 0; done < frames;) {
    const sf_count_t want = std::min<sf_count_t>(4096, frames - done);
    const sf_count_t got = sf_readf_float(file.get(), block.data(), want);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += block[size_t(i * info.channels + c)];
      const float v = sum / float(info.channels);
      if (!std::isfinite(v)) fail(name, "holds NaN or infinite samples");
      mono.push_back(v);
    }
    done += got;
  }
  if (mono.empty()) fail(name, "no audio samples could be read (truncated or corrupt)");
  out.samples = resample_audio(mono, info.samplerate, kAudioSampleRate);
  return out;
}

Audio load_audio(const std::string& path, double max_seconds) {
  auto file = MappedFile::open(path);
  return decode_audio(std::span<const uint8_t>(file->data(), file->size()), path, max_seconds);
}

std::vector<float> resample_audio(const std::vector<float>& samples, int from_rate, int to_rate) {
  ANYMAL_ASSERT(from_rate > 0 && to_rate > 0);
  if (from_rate == to_rate || samples.empty()) return samples;
  const double ratio = double(to_rate) / from_rate;
  std::vector<float> out(size_t(std::llround(double(samples.size()) * ratio)));
  SRC_DATA d{};
  d.data_in = samples.data();
  d.input_frames = long(samples.size());
  d.data_out = out.data();
  d.output_frames = long(out.size());
  d.src_ratio = ratio;
  d.end_of_input = 1;
  if (int err = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1))
    throw_error(ErrorKind::internal, std::string("resampling failed: ") + src_strerror(err));
  out.resize(size_t(d.output_frames_gen));
  return out;
}

std::vector<uint8_t> encode_wav(const std::vector<float>& samples, int rate, int channels) {
  std::vector<uint8_t> out;
  auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
  };
  const uint32_t data_bytes = uint32_t(samples.size() * 2);
  out.insert(out.end(), {'R', 'I', 'F', 'F'});
  put(36 + data_bytes, 4);
  out.insert(out.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put(16, 4);
  put(1, 2);  // PCM
  put(uint32_t(channels), 2);
  put(uint32_t(rate), 4);
  put(uint32_t(rate * channels) * 2, 4);
  put(uint32_t(channels) * 2, 2);
  put(16, 2);
  out.insert(out.end(), {'d', 'a', 't', 'a'});
  put(data_bytes, 4);
  for (float s : samples)
    put(uint16_t(int16_t(std::lround(std::clamp(s, -1.0f, 32767.0f / 32768.0f) * 32768.0f))), 2);
  return out;
}

void save_wav(const std::string& path, const std::vector<float>& samples, int rate) {
  const std::vector<uint8_t> wav = encode_wav(samples, rate);
  write_file_atomic(path, wav.data(), wav.size());
}

}  // namespace anymal

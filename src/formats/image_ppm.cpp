// Netpbm, hand-written: P6 (binary RGB), P5 (binary gray), P3 / P2 (their ASCII forms), any
// maxval 1..65535 (two big-endian bytes per sample above 255), rescaled to 0..255.
#include "formats/image_codecs.h"

namespace anymal::image_detail {

namespace {

bool is_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

class PnmReader {
 public:
  PnmReader(std::span<const uint8_t> bytes, std::string_view name) : b_(bytes), name_(name) {}

  // Skips whitespace and '#' comments (to the end of the line), then reads a decimal number.
  uint32_t number(const char* what, uint32_t max_value) {
    for (;;) {
      while (pos_ < b_.size() && is_space(b_[pos_])) ++pos_;
      if (pos_ < b_.size() && b_[pos_] == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n' && b_[pos_] != '\r') ++pos_;
        continue;
      }
      break;
    }
    if (pos_ >= b_.size()) fail(name_, std::string("truncated PPM: missing ") + what);
    if (b_[pos_] < '0' || b_[pos_] > '9')
      fail(name_, std::string("invalid PPM: expected a number for ") + what);
    uint64_t v = 0;
    while (pos_ < b_.size() && b_[pos_] >= '0' && b_[pos_] <= '9') {
      v = v * 10 + (b_[pos_++] - '0');
      if (v > max_value) fail(name_, std::string("invalid PPM: ") + what + " is too large");
    }
    return uint32_t(v);
  }

  void skip(size_t n) { pos_ += n; }
  size_t remaining() const { return b_.size() - pos_; }
  const uint8_t* here() const { return b_.data() + pos_; }
  bool at_space() const { return pos_ < b_.size() && is_space(b_[pos_]); }

 private:
  std::span<const uint8_t> b_;
  std::string_view name_;
  size_t pos_ = 0;
};

}  // namespace

Image decode_ppm(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels) {
  const char kind = char(bytes[1]);
  const bool ascii = kind == '2' || kind == '3';
  const int channels = kind == '3' || kind == '6' ? 3 : 1;
  PnmReader r(bytes, name);
  r.skip(2);
  if (!r.at_space()) fail(name, "invalid PPM: no whitespace after the magic number");
  // Dimensions are capped at kMaxImagePixels while parsing, so they cannot overflow.
  const int64_t w = r.number("width", uint32_t(kMaxImagePixels));
  const int64_t h = r.number("height", uint32_t(kMaxImagePixels));
  check_dimensions(name, w, h, max_pixels);
  const uint32_t maxval = r.number("maxval", 65535);
  if (maxval == 0) fail(name, "invalid PPM: maxval is 0");

  const uint64_t samples = uint64_t(w) * uint64_t(h) * channels;
  const int sample_bytes = maxval > 255 ? 2 : 1;
  // Check the data is there before allocating: binary samples take 1 or 2 bytes each, ASCII
  // ones at least a digit and a separator.
  if (!ascii) {
    if (!r.at_space()) fail(name, "invalid PPM: no whitespace after maxval");
    r.skip(1);  // exactly one whitespace byte separates the header from binary data
    if (r.remaining() < samples * sample_bytes)
      fail(name, "truncated PPM: pixel data needs " + std::to_string(samples * sample_bytes) +
                     " bytes, " + std::to_string(r.remaining()) + " present");
  } else if (r.remaining() < samples * 2) {
    fail(name, "truncated PPM: too little data for " + std::to_string(samples) + " samples");
  }

  Image image;
  image.width = int(w);
  image.height = int(h);
  image.rgb.resize(size_t(w) * size_t(h) * 3);
  const uint8_t* p = r.here();
  for (uint64_t i = 0; i < samples; ++i) {
    uint32_t v;
    if (ascii) {
      v = r.number("a sample", maxval);
    } else if (sample_bytes == 2) {
      v = uint32_t(p[2 * i]) << 8 | p[2 * i + 1];
      if (v > maxval) fail(name, "invalid PPM: sample above maxval");
    } else {
      v = p[i];
      if (v > maxval) fail(name, "invalid PPM: sample above maxval");
    }
    const uint8_t v8 = maxval == 255 ? uint8_t(v) : uint8_t((v * 255 + maxval / 2) / maxval);
    if (channels == 3) {
      image.rgb[i] = v8;
    } else {
      image.rgb[i * 3] = image.rgb[i * 3 + 1] = image.rgb[i * 3 + 2] = v8;
    }
  }
  return image;
}

}  // namespace anymal::image_detail

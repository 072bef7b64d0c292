// Resizing and normalisation as llama.cpp's clip.cpp does them for LLaVA, in the same float
// arithmetic, so the pixels match its reference output (../shared/fixtures/vision/ref/).
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "formats/image.h"

namespace anymal {

namespace {

// Source neighbours and weight of one output coordinate along an axis.
struct Tap {
  int i0, i1;
  float w;  // weight of i1; may be slightly negative at the first pixel when upscaling
};

std::vector<Tap> taps(int in, int out) {
  const float scale = float(in) / float(out);
  std::vector<Tap> t(out);
  for (int o = 0; o < out; ++o) {
    const float s = (float(o) + 0.5f) * scale - 0.5f;
    const int i0 = std::max(0, int(std::floor(s)));
    t[o] = {i0, std::min(i0 + 1, in - 1), s - float(i0)};
  }
  return t;
}

void check_image(const Image& image, const char* op) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != size_t(image.width) * size_t(image.height) * 3)
    throw_error(ErrorKind::invalid_input, std::string(op) + ": image is " +
                                              std::to_string(image.width) + "x" +
                                              std::to_string(image.height) + " with " +
                                              std::to_string(image.rgb.size()) + " bytes");
}

}  // namespace

Image resize_bilinear(const Image& src, int out_width, int out_height) {
  check_image(src, "resize_bilinear");
  if (out_width <= 0 || out_height <= 0 || int64_t(out_width) * out_height > kMaxImagePixels)
    throw_error(ErrorKind::invalid_input, "resize_bilinear: target size " +
                                              std::to_string(out_width) + "x" +
                                              std::to_string(out_height));
  const std::vector<Tap> tx = taps(src.width, out_width), ty = taps(src.height, out_height);
  Image out;
  out.width = out_width;
  out.height = out_height;
  out.rgb.resize(size_t(out_width) * out_height * 3);
  uint8_t* dst = out.rgb.data();
  for (int y = 0; y < out_height; ++y) {
    const Tap& v = ty[y];
    for (int x = 0; x < out_width; ++x) {
      const Tap& u = tx[x];
      const uint8_t *p00 = src.pixel(u.i0, v.i0), *p01 = src.pixel(u.i1, v.i0);
      const uint8_t *p10 = src.pixel(u.i0, v.i1), *p11 = src.pixel(u.i1, v.i1);
      for (int c = 0; c < 3; ++c) {
        const float top = float(p00[c]) * (1.0f - u.w) + float(p01[c]) * u.w;
        const float bottom = float(p10[c]) * (1.0f - u.w) + float(p11[c]) * u.w;
        const float value = top * (1.0f - v.w) + bottom * v.w;
        *dst++ = uint8_t(std::clamp(std::round(value), 0.0f, 255.0f));
      }
    }
  }
  return out;
}

Image pad_to_square(const Image& src, const uint8_t fill[3]) {
  check_image(src, "pad_to_square");
  const int side = std::max(src.width, src.height);
  Image out;
  out.width = out.height = side;
  out.rgb.resize(size_t(side) * side * 3);
  for (size_t i = 0; i < out.rgb.size(); i += 3) std::copy(fill, fill + 3, out.rgb.data() + i);
  for (int y = 0; y < src.height; ++y)
    std::copy_n(src.pixel(0, y), size_t(src.width) * 3, out.rgb.data() + size_t(y) * side * 3);
  return out;
}

Image pad_and_resize_llava(const Image& image, int image_size) {
  static const uint8_t kLlavaPad[3] = {122, 116, 104};  // CLIP's mean color, in 8 bits
  return resize_bilinear(pad_to_square(image, kLlavaPad), image_size, image_size);
}

std::vector<float> preprocess_llava(const Image& image, int image_size, const float mean[3],
                                    const float std[3]) {
  const Image resized = pad_and_resize_llava(image, image_size);
  std::vector<float> out(resized.rgb.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const int c = int(i % 3);
    out[i] = (float(resized.rgb[i]) / 255.0f - mean[c]) / std[c];
  }
  return out;
}

}  // namespace anymal

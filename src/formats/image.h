// Image decoding (PNG, JPEG, BMP, PPM/PGM) to interleaved RGB8, and the LLaVA preprocessing
// llama.cpp applies before a CLIP vision tower.
//
// decode_image picks the format from the magic bytes, never from the name. Every decoder
// reads the header dimensions first and rejects zero-size images and images over
// kMaxImagePixels before allocating pixel memory. Empty, truncated, corrupt or implausible
// data throws Error(invalid_input, "NAME: problem"); a valid but unhandled variant (a 16-color
// BMP, a GIF) throws Error(unsupported, ...). Conversions to RGB8: gray is replicated, palettes
// expanded, 16-bit samples keep their high byte (PNG) or are rescaled (PPM maxval != 255),
// alpha is dropped without compositing (as stb_image does for llama.cpp). JPEG EXIF
// orientation (1..8) is applied, so the result is upright as a viewer shows it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anymal {

// 8192 x 8192: the largest image any decoder accepts (a 192 MiB RGB8 buffer).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // [height][width][3], row-major, no padding

  const uint8_t* pixel(int x, int y) const { return rgb.data() + (size_t(y) * width + x) * 3; }
};

// `name_for_errors` stands for the data in messages (usually the file path). Images of more
// than max_pixels (at most kMaxImagePixels) are refused from their header, before decoding.
Image decode_image(std::span<const uint8_t> bytes, std::string_view name_for_errors,
                   int64_t max_pixels = kMaxImagePixels);
// Maps the file and decodes it; io errors name the path.
Image load_image(const std::string& path);

// PNG (RGB8, default compression) of `image`; save_png writes it atomically.
std::vector<uint8_t> encode_png(const Image& image);
void save_png(const std::string& path, const Image& image);

// Bilinear resampling with llama.cpp's convention (clip.cpp): output pixel x samples the source
// at (x + 0.5) * in_w / out_w - 0.5, neighbours x0 = max(0, floor), x1 = min(x0 + 1, in_w - 1),
// weights from that sample minus x0 (so it extrapolates slightly at the top/left border when
// upscaling), each channel rounded and clamped to 0..255.
Image resize_bilinear(const Image& src, int out_width, int out_height);

// Pads to a square of side max(width, height), the image at the top-left, the rest `fill`.
Image pad_to_square(const Image& src, const uint8_t fill[3]);

// LLaVA-1.5 preprocessing: pad_to_square with RGB (122, 116, 104), resize_bilinear to
// image_size x image_size, then (v / 255 - mean[c]) / std[c].
// Returns float32 [image_size][image_size][3] (H x W x 3 interleaved, the layout of the
// reference `*.pixels.f32` files); a patch-embedding conv wants [3][H][W] and transposes.
std::vector<float> preprocess_llava(const Image& image, int image_size, const float mean[3],
                                    const float std[3]);
// Its first two steps (pad, resize), RGB8 out. Preprocessing the result again gives exactly
// what preprocessing the original gives (the resize of a square image to its own size is the
// identity), so a server can keep this small copy of an upload until the encoder runs.
Image pad_and_resize_llava(const Image& image, int image_size);

}  // namespace anymal

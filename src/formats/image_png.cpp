// PNG through libspng: every color type and bit depth to RGB8 (alpha and tRNS ignored, 16-bit
// samples keep their high byte, no gamma applied — what stb_image gives llama.cpp).
#include <spng.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "core/atomic_file.h"
#include "core/error.h"
#include "formats/image_codecs.h"

namespace anymal::image_detail {

namespace {

uint32_t read_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

int channels_of(uint8_t color_type) {
  switch (color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
    case SPNG_COLOR_TYPE_INDEXED:
      return 1;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
      return 2;
    case SPNG_COLOR_TYPE_TRUECOLOR:
      return 3;
    default:
      return 4;
  }
}

// Walks the chunk headers up to IEND. libspng stops reading once the image data inflated, so
// without this a file cut inside the last IDAT's CRC or before IEND would pass as whole.
void check_chunks(std::span<const uint8_t> bytes, std::string_view name) {
  size_t pos = 8;
  for (;;) {
    if (bytes.size() - pos < 12)
      fail(name, pos == bytes.size() ? "truncated PNG: no IEND chunk"
                                     : "truncated PNG: data ends inside a chunk header");
    const uint32_t length = read_be32(bytes.data() + pos);
    const uint8_t* type = bytes.data() + pos + 4;
    if (length > 0x7FFFFFFFu) fail(name, "invalid PNG chunk length " + std::to_string(length));
    if (bytes.size() - pos - 12 < length) {
      std::string t;
      for (int i = 0; i < 4; ++i) t += std::isalpha(type[i]) ? char(type[i]) : '?';
      fail(name, "truncated PNG: chunk " + t + " needs " + std::to_string(length + 12) +
                     " bytes, " + std::to_string(bytes.size() - pos) + " present");
    }
    if (std::memcmp(type, "IEND", 4) == 0) return;
    pos += 12 + size_t(length);
  }
}

}  // namespace

Image decode_png(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels) {
  // IHDR must be the first chunk, so its width and height sit at bytes 16..23. Checking them
  // here gives the same message for a huge PNG as for any other format.
  if (bytes.size() < 33) fail(name, "truncated PNG (" + std::to_string(bytes.size()) + " bytes)");
  check_dimensions(name, read_be32(bytes.data() + 16), read_be32(bytes.data() + 20), max_pixels);
  check_chunks(bytes, name);

  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), spng_ctx_free);
  if (!ctx) throw std::bad_alloc();
  spng_ctx* c = ctx.get();
  // Limits for untrusted data (libspng's advice): dimensions, and the memory its ancillary
  // chunks (text, ICC profiles, which may be compressed) may take.
  spng_set_image_limits(c, uint32_t(kMaxImagePixels), uint32_t(kMaxImagePixels));
  spng_set_chunk_limits(c, size_t(16) << 20, size_t(64) << 20);
  spng_set_png_buffer(c, bytes.data(), bytes.size());

  spng_ihdr ihdr{};
  if (int err = spng_get_ihdr(c, &ihdr))
    fail(name, std::string("invalid PNG header: ") + spng_strerror(err));
  const int64_t w = ihdr.width, h = ihdr.height;
  check_dimensions(name, w, h, max_pixels);
  // Deflate expands at most 1032:1, so a small file cannot hold a big image; refusing here
  // avoids allocating the pixels of a forged header only to fail on the missing data.
  const uint64_t pixel_bytes =
      uint64_t(w) * uint64_t(h) * channels_of(ihdr.color_type) * ihdr.bit_depth / 8;
  if (pixel_bytes > uint64_t(bytes.size()) * 1032 + 4096)
    fail(name, "truncated PNG: " + std::to_string(bytes.size()) + " bytes cannot hold a " +
                   std::to_string(w) + "x" + std::to_string(h) + " image");

  size_t out_size = 0;
  if (int err = spng_decoded_image_size(c, SPNG_FMT_RGB8, &out_size))
    fail_unsupported(name, std::string("PNG format not convertible to RGB: ") + spng_strerror(err));
  if (out_size != size_t(w) * size_t(h) * 3) fail(name, "unexpected PNG output size");
  Image image;
  image.width = int(w);
  image.height = int(h);
  image.rgb.resize(out_size);
  if (int err = spng_decode_image(c, image.rgb.data(), out_size, SPNG_FMT_RGB8, 0))
    fail(name, std::string("corrupt or truncated PNG: ") + spng_strerror(err));
  return image;
}

}  // namespace anymal::image_detail

namespace anymal {

std::vector<uint8_t> encode_png(const Image& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != size_t(image.width) * size_t(image.height) * 3)
    throw_error(ErrorKind::invalid_input, "encode_png: image buffer does not match its size");
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(SPNG_CTX_ENCODER), spng_ctx_free);
  if (!ctx) throw std::bad_alloc();
  spng_ctx* c = ctx.get();
  spng_set_option(c, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{};
  ihdr.width = uint32_t(image.width);
  ihdr.height = uint32_t(image.height);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  spng_set_ihdr(c, &ihdr);
  if (int err = spng_encode_image(c, image.rgb.data(), image.rgb.size(), SPNG_FMT_PNG,
                                  SPNG_ENCODE_FINALIZE))
    throw_error(ErrorKind::internal, std::string("PNG encoding failed: ") + spng_strerror(err));
  size_t len = 0;
  int err = 0;
  auto* buf = static_cast<uint8_t*>(spng_get_png_buffer(c, &len, &err));
  if (!buf)
    throw_error(ErrorKind::internal, std::string("PNG encoding failed: ") + spng_strerror(err));
  std::vector<uint8_t> out(buf, buf + len);
  std::free(buf);
  return out;
}

void save_png(const std::string& path, const Image& image) {
  const std::vector<uint8_t> png = encode_png(image);
  write_file_atomic(path, png.data(), png.size());
}

}  // namespace anymal

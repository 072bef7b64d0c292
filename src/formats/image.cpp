// decode_image: format detection by magic bytes and the checks every decoder shares.
#include "formats/image.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/image_codecs.h"

namespace anymal {
namespace image_detail {

void fail(std::string_view name, const std::string& problem) {
  throw_error(ErrorKind::invalid_input, std::string(name) + ": " + problem);
}

void fail_unsupported(std::string_view name, const std::string& problem) {
  throw_error(ErrorKind::unsupported, std::string(name) + ": " + problem);
}

void check_dimensions(std::string_view name, int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0)
    fail(name, "image is " + std::to_string(width) + "x" + std::to_string(height));
  // Divide instead of multiplying so absurd header values cannot overflow.
  if (width > max_pixels || height > max_pixels / width)
    fail(name, "image is " + std::to_string(width) + "x" + std::to_string(height) +
                   ", more than the " +
                   (max_pixels % (1 << 20) == 0 ? std::to_string(max_pixels >> 20) + " megapixels"
                                                : std::to_string(max_pixels) + " pixels") +
                   " accepted");
}

}  // namespace image_detail

namespace {

bool starts_with(std::span<const uint8_t> bytes, const char* magic, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

}  // namespace

Image decode_image(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels) {
  using namespace image_detail;
  max_pixels = std::clamp<int64_t>(max_pixels, 1, kMaxImagePixels);
  if (bytes.empty()) fail(name, "empty file, not an image");
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n", 8)) return decode_png(bytes, name, max_pixels);
  if (starts_with(bytes, "\xff\xd8\xff", 3)) return decode_jpeg(bytes, name, max_pixels);
  if (starts_with(bytes, "BM", 2)) return decode_bmp(bytes, name, max_pixels);
  if (bytes.size() >= 2 && bytes[0] == 'P' &&
      std::string_view("2356").find(char(bytes[1])) != std::string_view::npos)
    return decode_ppm(bytes, name, max_pixels);
  // Common formats we do not decode get a message that says so rather than "garbage".
  if (starts_with(bytes, "GIF8", 4)) fail_unsupported(name, "GIF images are not supported");
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF", 4) &&
      std::memcmp(bytes.data() + 8, "WEBP", 4) == 0)
    fail_unsupported(name, "WebP images are not supported");
  fail(name, "not a PNG, JPEG, BMP or PPM image (unrecognised first bytes)");
}

Image load_image(const std::string& path) {
  auto file = MappedFile::open(path);
  return decode_image(std::span<const uint8_t>(file->data(), file->size()), path);
}

}  // namespace anymal

// Internal to formats/image*: one decoder per format, called by decode_image after it has
// recognised the magic bytes, and the helpers they share. Not a public API.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "formats/image.h"

namespace anymal::image_detail {

// Throws invalid_input "NAME: problem".
[[noreturn]] void fail(std::string_view name, const std::string& problem);
[[noreturn]] void fail_unsupported(std::string_view name, const std::string& problem);

// Rejects zero or negative sizes and more than max_pixels; call before allocating.
void check_dimensions(std::string_view name, int64_t width, int64_t height, int64_t max_pixels);

Image decode_png(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels);
Image decode_jpeg(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels);
Image decode_bmp(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels);
Image decode_ppm(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels);

// The orientation tag (0x0112) of an APP1 "Exif\0\0" payload; 1 (upright) when it is absent
// or the block is malformed, since a broken thumbnail block should not fail the image.
int exif_orientation(std::span<const uint8_t> app1);
// Rotates/flips a decoded image as EXIF orientation 1..8 asks; other values leave it alone.
Image apply_orientation(Image image, int orientation);

}  // namespace anymal::image_detail

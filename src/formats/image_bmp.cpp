// BMP, hand-written: 24- and 32-bit uncompressed (BI_RGB), 32-bit BI_BITFIELDS with byte-aligned
// 8-bit masks, bottom-up and top-down. Palettes, 16-bit and RLE are reported unsupported.
// Every field that sizes or locates data is checked against the buffer before it is used.
#include "formats/image_codecs.h"

namespace anymal::image_detail {

namespace {

uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

// The byte (0..3) of a little-endian pixel a channel mask selects, or -1 if the mask is not
// exactly one whole byte.
int mask_byte(uint32_t mask) {
  for (int b = 0; b < 4; ++b)
    if (mask == 0xFFu << (8 * b)) return b;
  return -1;
}

constexpr uint32_t kBiRgb = 0, kBiBitfields = 3, kBiAlphaBitfields = 6;

}  // namespace

Image decode_bmp(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels) {
  // File header (14 bytes): "BM", u32 file size (often wrong, ignored), u32 reserved,
  // u32 offset of the pixels. Then the info header, whose first u32 is its own size.
  const uint8_t* d = bytes.data();
  const uint64_t size = bytes.size();
  if (size < 18) fail(name, "truncated BMP header");
  const uint64_t pixel_offset = le32(d + 10);
  const uint64_t header_size = le32(d + 14);
  if (header_size != 12 && header_size < 40)
    fail(name, "invalid BMP info header size " + std::to_string(header_size));
  if (14 + header_size > size) fail(name, "truncated BMP header");

  int64_t width, height;
  uint32_t bpp, compression = kBiRgb;
  if (header_size == 12) {  // BITMAPCOREHEADER (OS/2 1.x): u16 sizes, always bottom-up
    width = le16(d + 18);
    height = le16(d + 20);
    if (le16(d + 22) != 1) fail(name, "invalid BMP: planes must be 1");
    bpp = le16(d + 24);
  } else {  // BITMAPINFOHEADER and its extensions (V4, V5) start alike
    width = int32_t(le32(d + 18));
    height = int32_t(le32(d + 22));
    if (le16(d + 26) != 1) fail(name, "invalid BMP: planes must be 1");
    bpp = le16(d + 28);
    compression = le32(d + 30);
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;  // int64, so INT32_MIN cannot overflow
  check_dimensions(name, width, height, max_pixels);
  if (bpp != 24 && bpp != 32)
    fail_unsupported(name, std::to_string(bpp) + "-bit BMP (only 24 and 32-bit are supported)");

  // Byte positions of blue, green, red in each pixel.
  int pos[3] = {0, 1, 2};
  if (compression == kBiBitfields || compression == kBiAlphaBitfields) {
    if (bpp != 32) fail(name, "invalid BMP: bit fields need 32 bits per pixel");
    // The red, green, blue masks follow a 40-byte header, or are inside a longer one.
    if (14 + 40 + 12 > size) fail(name, "truncated BMP header (color masks)");
    const int r = mask_byte(le32(d + 54)), g = mask_byte(le32(d + 58)), b = mask_byte(le32(d + 62));
    if (r < 0 || g < 0 || b < 0)
      fail_unsupported(name, "BMP color masks other than whole bytes are not supported");
    pos[0] = b, pos[1] = g, pos[2] = r;
  } else if (compression != kBiRgb) {
    fail_unsupported(
        name, "compressed BMP (compression " + std::to_string(compression) + ") is not supported");
  }

  const uint64_t bytes_per_pixel = bpp / 8;
  const uint64_t stride = (uint64_t(width) * bpp + 31) / 32 * 4;  // rows pad to 4 bytes
  if (pixel_offset < 14 + header_size || pixel_offset > size)
    fail(name, "invalid BMP pixel data offset " + std::to_string(pixel_offset));
  // The last row's padding is sometimes omitted; its pixels must be there.
  const uint64_t needed = stride * uint64_t(height - 1) + uint64_t(width) * bytes_per_pixel;
  if (size - pixel_offset < needed)
    fail(name, "truncated BMP: pixel data needs " + std::to_string(needed) + " bytes, " +
                   std::to_string(size - pixel_offset) + " present");

  Image image;
  image.width = int(width);
  image.height = int(height);
  image.rgb.resize(size_t(width) * size_t(height) * 3);
  for (int64_t y = 0; y < height; ++y) {
    const int64_t stored_row = top_down ? y : height - 1 - y;
    const uint8_t* src = d + pixel_offset + uint64_t(stored_row) * stride;
    uint8_t* dst = image.rgb.data() + size_t(y) * size_t(width) * 3;
    for (int64_t x = 0; x < width; ++x, src += bytes_per_pixel, dst += 3) {
      dst[0] = src[pos[2]];
      dst[1] = src[pos[1]];
      dst[2] = src[pos[0]];
    }
  }
  return image;
}

}  // namespace anymal::image_detail

// EXIF orientation: reading tag 0x0112 from an APP1 block and applying it to the pixels.
#include <cstring>

#include "formats/image_codecs.h"

namespace anymal::image_detail {

int exif_orientation(std::span<const uint8_t> app1) {
  // "Exif\0\0", then a TIFF header: byte order ("II" little, "MM" big), 42, offset of IFD0
  // (offsets count from the TIFF header). IFD0: u16 entry count, then 12-byte entries
  // {u16 tag, u16 type, u32 count, 4 bytes value}; orientation is a SHORT (type 3).
  if (app1.size() < 6 + 8 || std::memcmp(app1.data(), "Exif\0\0", 6) != 0) return 1;
  const std::span<const uint8_t> t = app1.subspan(6);
  bool little;
  if (t[0] == 'I' && t[1] == 'I')
    little = true;
  else if (t[0] == 'M' && t[1] == 'M')
    little = false;
  else
    return 1;
  auto u16 = [&](uint64_t off) -> uint32_t {
    return little ? t[off] | t[off + 1] << 8 : t[off] << 8 | t[off + 1];
  };
  auto u32 = [&](uint64_t off) -> uint32_t {
    return little ? u16(off) | u16(off + 2) << 16 : u16(off) << 16 | u16(off + 2);
  };
  if (u16(2) != 42) return 1;
  const uint64_t ifd = u32(4);
  if (ifd + 2 > t.size()) return 1;
  const uint32_t count = u16(ifd);
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t e = ifd + 2 + uint64_t(i) * 12;
    if (e + 12 > t.size()) return 1;
    if (u16(e) != 0x0112) continue;
    if (u16(e + 2) != 3 || u32(e + 4) < 1) return 1;
    const uint32_t v = u16(e + 8);  // a SHORT sits left-justified in the value field
    return v >= 1 && v <= 8 ? int(v) : 1;
  }
  return 1;
}

Image apply_orientation(Image image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width, h = image.height;
  const bool swap = orientation >= 5;  // 5..8 turn the image by a quarter
  Image out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.rgb.resize(image.rgb.size());
  // For each output pixel (x, y), the stored pixel (sx, sy) that a viewer shows there.
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2:  // mirrored left-right
          sx = w - 1 - x;
          break;
        case 3:  // upside down
          sx = w - 1 - x, sy = h - 1 - y;
          break;
        case 4:  // mirrored top-bottom
          sy = h - 1 - y;
          break;
        case 5:  // transposed
          sx = y, sy = x;
          break;
        case 6:  // needs 90° clockwise
          sx = y, sy = h - 1 - x;
          break;
        case 7:  // transversed
          sx = w - 1 - y, sy = h - 1 - x;
          break;
        case 8:  // needs 90° counter-clockwise
          sx = w - 1 - y, sy = x;
          break;
      }
      std::memcpy(out.rgb.data() + (size_t(y) * out.width + x) * 3, image.pixel(sx, sy), 3);
    }
  }
  return out;
}

}  // namespace anymal::image_detail

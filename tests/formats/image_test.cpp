// Image decoding and LLaVA preprocessing: pixels against llama.cpp's reference for the fixture
// images, round trips through real encoders (libspng, libjpeg) and hand-written BMP/PPM, EXIF
// orientation, and hostile inputs (empty, truncated, forged sizes, random mutations).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <jpeglib.h>
#include <spng.h>

#include "core/error.h"
#include "core/rng.h"
#include "formats/gguf.h"
#include "formats/image.h"

using namespace anymal;
using Bytes = std::vector<uint8_t>;

namespace {

std::string shared_fixture(const std::string& rel) {
  return std::string(ANYMAL_SHARED_FIXTURES) + "/" + rel;
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

Image decode(const Bytes& b) { return decode_image(b, "test.img"); }

// Noise (for lossless formats) or a smooth pattern (for JPEG).
Image make_image(int w, int h, bool smooth, uint64_t seed = 1) {
  Rng rng(seed);
  Image im{w, h, Bytes(size_t(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        im.rgb[(size_t(y) * w + x) * 3 + c] = smooth ? uint8_t(c == 0   ? x * 255 / (w - 1)
                                                               : c == 1 ? y * 255 / (h - 1)
                                                                        : 128)
                                                     : uint8_t(rng.below(256));
  return im;
}

// ---- encoders -------------------------------------------------------------------------------

Bytes encode_png(int w, int h, uint8_t color_type, uint8_t depth, const void* pixels, size_t n,
                 const spng_plte* plte = nullptr) {
  spng_ctx* enc = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(enc, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{uint32_t(w), uint32_t(h), depth, color_type, 0, 0, 0};
  EXPECT_EQ(spng_set_ihdr(enc, &ihdr), 0);
  if (plte) {
    EXPECT_EQ(spng_set_plte(enc, const_cast<spng_plte*>(plte)), 0);
  }
  EXPECT_EQ(spng_encode_image(enc, pixels, n, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE), 0);
  size_t len = 0;
  int err = 0;
  auto* buf = static_cast<uint8_t*>(spng_get_png_buffer(enc, &len, &err));
  EXPECT_EQ(err, 0);
  Bytes out(buf, buf + len);
  std::free(buf);
  spng_ctx_free(enc);
  return out;
}

// kCmyk: Adobe-style inverted CMYK made from the RGB pixels. `app1` is written as an APP1
// marker when not empty.
enum JpegKind { kBaseline, kProgressive, kGray, kCmyk };

Bytes encode_jpeg(const Image& im, JpegKind kind = kBaseline, const Bytes& app1 = {}) {
  const bool gray = kind == kGray, cmyk = kind == kCmyk;
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  jpeg_mem_dest(&c, &buf, &len);
  c.image_width = im.width;
  c.image_height = im.height;
  c.input_components = gray ? 1 : cmyk ? 4 : 3;
  c.in_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  if (kind == kProgressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (!app1.empty()) jpeg_write_marker(&c, JPEG_APP0 + 1, app1.data(), app1.size());
  Bytes row(size_t(im.width) * 4);
  while (c.next_scanline < c.image_height) {
    const uint8_t* src = im.pixel(0, c.next_scanline);
    for (int x = 0; x < im.width; ++x) {
      const uint8_t* p = src + x * 3;
      if (gray) row[x] = p[0];
      if (cmyk)
        row[x * 4] = p[0], row[x * 4 + 1] = p[1], row[x * 4 + 2] = p[2], row[x * 4 + 3] = 255;
      if (!gray && !cmyk) std::memcpy(&row[x * 3], p, 3);
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  Bytes out(buf, buf + len);
  std::free(buf);
  return out;
}

void put_le(Bytes& b, size_t at, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

Bytes encode_bmp(const Image& im, int bpp, bool top_down) {
  const size_t stride = (size_t(im.width) * bpp / 8 + 3) / 4 * 4;
  Bytes b(54 + stride * im.height, 0);
  b[0] = 'B', b[1] = 'M';
  put_le(b, 2, uint32_t(b.size()), 4);
  put_le(b, 10, 54, 4);
  put_le(b, 14, 40, 4);
  put_le(b, 18, uint32_t(im.width), 4);
  put_le(b, 22, uint32_t(top_down ? -im.height : im.height), 4);
  put_le(b, 26, 1, 2);
  put_le(b, 28, uint32_t(bpp), 2);
  for (int y = 0; y < im.height; ++y) {
    uint8_t* row = &b[54 + stride * (top_down ? y : im.height - 1 - y)];
    for (int x = 0; x < im.width; ++x) {
      const uint8_t* p = im.pixel(x, y);
      uint8_t* q = row + x * (bpp / 8);
      q[0] = p[2], q[1] = p[1], q[2] = p[0];
      if (bpp == 32) q[3] = 0x7F;
    }
  }
  return b;
}

Bytes encode_ppm(const Image& im, bool ascii) {
  std::string s = std::string(ascii ? "P3" : "P6") + "\n# made by a test\n" +
                  std::to_string(im.width) + " " + std::to_string(im.height) + "\n255\n";
  if (!ascii) {
    Bytes b(s.begin(), s.end());
    b.insert(b.end(), im.rgb.begin(), im.rgb.end());
    return b;
  }
  for (uint8_t v : im.rgb) s += std::to_string(v) + " ";
  return Bytes(s.begin(), s.end());
}

// ---- checks ---------------------------------------------------------------------------------

void expect_same(const Image& a, const Image& b, int tolerance = 0, double mean_tolerance = 0) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.rgb.size(), b.rgb.size());
  int worst = 0;
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    const int d = std::abs(int(a.rgb[i]) - int(b.rgb[i]));
    worst = std::max(worst, d);
    sum += d;
  }
  EXPECT_LE(worst, tolerance);
  EXPECT_LE(sum / a.rgb.size(), mean_tolerance + 1e-9);
}

// Decoding must throw Error of `kind` whose message names the data and contains `what`.
void expect_error(const Bytes& b, const std::string& what,
                  ErrorKind kind = ErrorKind::invalid_input) {
  try {
    decode(b);
    ADD_FAILURE() << "decoded, expected an error containing '" << what << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.img: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

}  // namespace

// ---- llama.cpp parity -----------------------------------------------------------------------

TEST(ImagePreprocess, MatchesLlamaCppPixels) {
  auto gguf = GgufFile::open(shared_fixture("vision/tiny-clip-llava-mmproj-f16.gguf"));
  const int size = int(gguf->get_int("clip.vision.image_size"));
  const auto& mean_arr = gguf->get_array("clip.vision.image_mean").floats;
  const auto& std_arr = gguf->get_array("clip.vision.image_std").floats;
  ASSERT_EQ(mean_arr.size(), 3u);
  ASSERT_EQ(std_arr.size(), 3u);
  const float mean[3] = {float(mean_arr[0]), float(mean_arr[1]), float(mean_arr[2])};
  const float stdev[3] = {float(std_arr[0]), float(std_arr[1]), float(std_arr[2])};
  for (int n = 1; n <= 3; ++n) {
    const std::string id = "img" + std::to_string(n);
    const Image im = load_image(shared_fixture("vision/images/" + id + ".png"));
    const std::vector<float> got = preprocess_llava(im, size, mean, stdev);
    const Bytes raw = read_bytes(shared_fixture("vision/ref/tiny-llava." + id + ".pixels.f32"));
    ASSERT_EQ(raw.size(), got.size() * 4) << id;
    std::vector<float> ref(got.size());
    std::memcpy(ref.data(), raw.data(), raw.size());
    double s = 0, s2 = 0, worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      s += ref[i], s2 += double(ref[i]) * ref[i];
      worst = std::max(worst, double(std::fabs(ref[i] - got[i])));
    }
    const double ref_std = std::sqrt(s2 / ref.size() - (s / ref.size()) * (s / ref.size()));
    EXPECT_LE(worst, 0.02 * ref_std) << id << " (" << im.width << "x" << im.height << ")";
  }
}

TEST(ImagePreprocess, ResizeAndPad) {
  const Image im = make_image(7, 5, false);
  expect_same(resize_bilinear(im, 7, 5), im);  // same size: every tap lands on a pixel
  const uint8_t fill[3] = {1, 2, 3};
  const Image sq = pad_to_square(im, fill);
  ASSERT_EQ(sq.width, 7);
  ASSERT_EQ(sq.height, 7);
  EXPECT_EQ(std::memcmp(sq.pixel(0, 4), im.pixel(0, 4), 21), 0);
  EXPECT_EQ(std::memcmp(sq.pixel(6, 6), fill, 3), 0);
  const Image half = resize_bilinear(make_image(8, 8, true), 4, 4);  // 2:1 averages pairs
  EXPECT_EQ(half.pixel(1, 0)[0], uint8_t(std::round((72 + 109) / 2.0)));
  EXPECT_THROW(resize_bilinear(im, 0, 3), Error);
  EXPECT_THROW(resize_bilinear(Image{}, 3, 3), Error);
  // The server keeps pad_and_resize_llava's small copy; preprocessing it changes nothing.
  const float mean[3] = {0.5f, 0.4f, 0.3f}, stdev[3] = {0.2f, 0.3f, 0.25f};
  const Image wide = make_image(23, 9, true);
  EXPECT_EQ(preprocess_llava(pad_and_resize_llava(wide, 14), 14, mean, stdev),
            preprocess_llava(wide, 14, mean, stdev));
}

// decode_image's pixel limit below the global one (the server's --max-image-pixels) is checked
// from the header, as the global one is.
TEST(ImageDecode, ACallersPixelLimitIsCheckedFromTheHeader) {
  Bytes png = encode_png(make_image(40, 30, false));
  EXPECT_EQ(decode_image(png, "ok", 1200).width, 40);
  try {
    decode_image(png, "small", 1199);
    ADD_FAILURE() << "over the limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1199 pixels"), std::string::npos) << e.what();
  }
}

// ---- round trips ----------------------------------------------------------------------------

TEST(ImageDecode, PngColorTypes) {
  const int w = 13, h = 9;
  const Image im = make_image(w, h, false);
  expect_same(decode(encode_png(im)), im);
  // RGBA: alpha is dropped, not composited.
  Bytes rgba(size_t(w) * h * 4);
  for (size_t i = 0; i < size_t(w) * h; ++i) {
    std::memcpy(&rgba[i * 4], &im.rgb[i * 3], 3);
    rgba[i * 4 + 3] = uint8_t(i);
  }
  expect_same(
      decode(encode_png(w, h, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 8, rgba.data(), rgba.size())), im);
  // Gray and gray+alpha: replicated to three channels.
  Bytes gray(size_t(w) * h), ga(size_t(w) * h * 2);
  Image gray_rgb{w, h, Bytes(size_t(w) * h * 3)};
  for (size_t i = 0; i < gray.size(); ++i) {
    gray[i] = ga[i * 2] = im.rgb[i * 3];
    ga[i * 2 + 1] = 9;
    gray_rgb.rgb[i * 3] = gray_rgb.rgb[i * 3 + 1] = gray_rgb.rgb[i * 3 + 2] = gray[i];
  }
  expect_same(decode(encode_png(w, h, SPNG_COLOR_TYPE_GRAYSCALE, 8, gray.data(), gray.size())),
              gray_rgb);
  expect_same(decode(encode_png(w, h, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, 8, ga.data(), ga.size())),
              gray_rgb);
  // Palette: indices into 16 entries.
  spng_plte plte{};
  plte.n_entries = 16;
  Bytes idx(size_t(w) * h);
  Image pal_rgb{w, h, Bytes(size_t(w) * h * 3)};
  for (int i = 0; i < 16; ++i) plte.entries[i] = {uint8_t(i * 16), uint8_t(255 - i), uint8_t(i), 0};
  for (size_t i = 0; i < idx.size(); ++i) {
    idx[i] = uint8_t(im.rgb[i] % 16);
    const auto& e = plte.entries[idx[i]];
    pal_rgb.rgb[i * 3] = e.red, pal_rgb.rgb[i * 3 + 1] = e.green, pal_rgb.rgb[i * 3 + 2] = e.blue;
  }
  expect_same(decode(encode_png(w, h, SPNG_COLOR_TYPE_INDEXED, 8, idx.data(), idx.size(), &plte)),
              pal_rgb);
  // 16-bit: the high byte of each sample.
  std::vector<uint16_t> rgb16(im.rgb.size());
  for (size_t i = 0; i < rgb16.size(); ++i) rgb16[i] = uint16_t(im.rgb[i] << 8 | (i & 0xFF));
  expect_same(
      decode(encode_png(w, h, SPNG_COLOR_TYPE_TRUECOLOR, 16, rgb16.data(), rgb16.size() * 2)), im);
}

TEST(ImageDecode, JpegBaselineProgressiveGrayCmyk) {
  const Image im = make_image(50, 34, true);
  expect_same(decode(encode_jpeg(im)), im, 12, 1.5);
  expect_same(decode(encode_jpeg(im, kProgressive)), im, 12, 1.5);
  expect_same(decode(encode_jpeg(im, kCmyk)), im, 12, 1.5);
  const Image gray = decode(encode_jpeg(im, kGray));
  for (int x = 0; x < im.width; x += 7) {
    EXPECT_NEAR(gray.pixel(x, 3)[0], im.pixel(x, 3)[0], 6);
    EXPECT_EQ(gray.pixel(x, 3)[0], gray.pixel(x, 3)[2]);
  }
}

TEST(ImageDecode, BmpAndPpm) {
  const Image im = make_image(11, 6, false);  // odd width: BMP rows carry padding
  expect_same(decode(encode_bmp(im, 24, false)), im);
  expect_same(decode(encode_bmp(im, 24, true)), im);
  expect_same(decode(encode_bmp(im, 32, false)), im);
  expect_same(decode(encode_ppm(im, false)), im);
  expect_same(decode(encode_ppm(im, true)), im);
  // 16-bit PGM, maxval 1000: gray, rescaled to 0..255.
  const std::string pgm =
      std::string("P5 2 1 1000\n") + char(0x03) + char(0xE8) + char(0) + char(100);
  const Image g = decode(Bytes(pgm.begin(), pgm.end()));
  ASSERT_EQ(g.rgb.size(), 6u);
  EXPECT_EQ(g.rgb[0], 255);
  EXPECT_EQ(g.rgb[3], 26);  // 100 * 255 / 1000 rounded
  EXPECT_EQ(g.rgb[4], 26);
}

TEST(ImageDecode, LoadFromFile) {
  const Image im = make_image(5, 4, false);
  const auto path = std::filesystem::temp_directory_path() /
                    ("anymal_" + std::to_string(getpid()) + "_image.png");
  const Bytes png = encode_png(im);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), png.size());
  expect_same(load_image(path.string()), im);
  std::filesystem::remove(path);
  try {
    load_image(path.string());
    ADD_FAILURE() << "loaded a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
  }
}

// ---- EXIF orientation -----------------------------------------------------------------------

// An APP1 payload holding only IFD0 with the orientation tag, in either byte order.
Bytes exif_app1(int orientation, bool big_endian) {
  Bytes b = {'E', 'x', 'i', 'f', 0, 0};
  auto u16 = [&](uint32_t v) {
    big_endian ? (b.push_back(uint8_t(v >> 8)), b.push_back(uint8_t(v)))
               : (b.push_back(uint8_t(v)), b.push_back(uint8_t(v >> 8)));
  };
  auto u32 = [&](uint32_t v) {
    big_endian ? (u16(v >> 16), u16(v & 0xFFFF)) : (u16(v & 0xFFFF), u16(v >> 16));
  };
  b.push_back(big_endian ? 'M' : 'I'), b.push_back(big_endian ? 'M' : 'I');
  u16(42), u32(8);                        // TIFF header, IFD0 right after it
  u16(2);                                 // two entries: XResolution-like filler, orientation
  u16(0x011A), u16(5), u32(1), u32(100);  // a tag we skip
  u16(0x0112), u16(3), u32(1), u16(uint32_t(orientation)), u16(0);
  u32(0);  // no next IFD
  return b;
}

TEST(ImageDecode, JpegExifOrientation) {
  // Quadrants red | green over blue | white, 48 wide and 32 high.
  const int w = 48, h = 32;
  Image im{w, h, Bytes(size_t(w) * h * 3)};
  const uint8_t colors[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      std::memcpy(&im.rgb[(size_t(y) * w + x) * 3], colors[(y >= h / 2) * 2 + (x >= w / 2)], 3);
  auto color_at = [&](const Image& o, int x, int y) {  // nearest of the four colors
    int best = 0, best_d = 1 << 30;
    for (int k = 0; k < 4; ++k) {
      int d = 0;
      for (int c = 0; c < 3; ++c) d += std::abs(int(o.pixel(x, y)[c]) - colors[k][c]);
      if (d < best_d) best = k, best_d = d;
    }
    return best;
  };
  // Where the stored top-left (0) and top-right (1) quadrants end up, as
  // {top-left, top-right, bottom-left, bottom-right} of the displayed image.
  const int expected[9][4] = {{},           {0, 1, 2, 3}, {1, 0, 3, 2}, {3, 2, 1, 0}, {2, 3, 0, 1},
                              {0, 2, 1, 3}, {2, 0, 3, 1}, {3, 1, 2, 0}, {1, 3, 0, 2}};
  for (int o = 1; o <= 8; ++o) {
    for (bool be : {false, true}) {
      const Image out = decode(encode_jpeg(im, kBaseline, exif_app1(o, be)));
      const bool swapped = o >= 5;
      ASSERT_EQ(out.width, swapped ? h : w) << o;
      ASSERT_EQ(out.height, swapped ? w : h) << o;
      const int W = out.width - 2, H = out.height - 2;
      const int got[4] = {color_at(out, 1, 1), color_at(out, W, 1), color_at(out, 1, H),
                          color_at(out, W, H)};
      for (int k = 0; k < 4; ++k) EXPECT_EQ(got[k], expected[o][k]) << "orientation " << o;
    }
  }
  // A malformed Exif block is ignored rather than failing the image.
  Bytes broken = exif_app1(6, false);
  broken.resize(20);
  EXPECT_EQ(decode(encode_jpeg(im, kBaseline, broken)).width, w);
}

// ---- hostile input --------------------------------------------------------------------------

TEST(ImageDecode, RejectsEmptyGarbageAndUnsupported) {
  expect_error({}, "empty");
  const std::string garbage = "hello, this is not an image";
  expect_error(Bytes(garbage.begin(), garbage.end()), "not a PNG, JPEG, BMP or PPM");
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  expect_error(Bytes(gif.begin(), gif.end()), "GIF", ErrorKind::unsupported);
  Bytes bmp8 = encode_bmp(make_image(4, 4, false), 24, false);
  put_le(bmp8, 28, 8, 2);
  expect_error(bmp8, "8-bit BMP", ErrorKind::unsupported);
  const std::string zero = "P6 0 0 255\n";
  expect_error(Bytes(zero.begin(), zero.end()), "image is 0x0");
}

TEST(ImageDecode, RejectsHugeDimensionsBeforeAllocating) {
  const std::string ppm = "P6\n100000 100000\n255\n" + std::string(64, 'x');
  expect_error(Bytes(ppm.begin(), ppm.end()), "megapixels");
  Bytes bmp = encode_bmp(make_image(4, 4, false), 24, false);
  put_le(bmp, 18, 100000, 4);
  put_le(bmp, 22, 100000, 4);
  expect_error(bmp, "megapixels");
  Bytes png = encode_png(make_image(4, 4, false));
  for (int i = 0; i < 2; ++i) png[16 + 4 * i] = 0, png[17 + 4 * i] = 1, png[18 + 4 * i] = 0x86;
  expect_error(png, "megapixels");  // 100000x100000 in IHDR (its CRC is never reached)
  // JPEG: patch the SOF0 frame size (after FFC0, length, precision) to 65000x65000.
  Bytes jpg = encode_jpeg(make_image(16, 16, true));
  for (size_t i = 2; i + 9 < jpg.size(); ++i) {
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
      jpg[i + 5] = jpg[i + 7] = 0xFD, jpg[i + 6] = jpg[i + 8] = 0xE8;
      break;
    }
  }
  expect_error(jpg, "megapixels");
  // Within the limit but far more pixels than the data could hold.
  Bytes png_big = encode_png(make_image(4, 4, false));
  png_big[18] = png_big[22] = 0x1F;  // 7940x7940
  expect_error(png_big, "cannot hold");
}

TEST(ImageDecode, RejectsTruncation) {
  const Image im = make_image(24, 16, false);
  const Bytes png = encode_png(im);
  for (size_t n = 1; n + 12 < png.size(); ++n)  // every cut before IEND
    expect_error(Bytes(png.begin(), png.begin() + n), "PNG");
  for (bool progressive : {false, true}) {
    const Bytes jpg = encode_jpeg(make_image(24, 16, true), progressive ? kProgressive : kBaseline);
    for (size_t n = 1; n + 2 < jpg.size(); ++n)  // every cut before EOI
      expect_error(Bytes(jpg.begin(), jpg.begin() + n), "JPEG");
  }
  const Bytes bmp = encode_bmp(im, 24, false);
  for (size_t n = 2; n + 1 < bmp.size(); n += 7)
    expect_error(Bytes(bmp.begin(), bmp.begin() + n), "BMP");
  for (bool ascii : {false, true}) {
    const Bytes ppm = encode_ppm(im, ascii);
    // A cut inside the last ASCII number leaves a valid shorter number, so stop before it.
    for (size_t n = 2; n + (ascii ? 5 : 1) < ppm.size(); n += 5)
      expect_error(Bytes(ppm.begin(), ppm.begin() + n), "PPM");
  }
}

TEST(ImageDecode, RandomMutationsNeverCrash) {
  const Image im = make_image(20, 12, true);
  const std::vector<Bytes> seeds = {encode_png(im), encode_jpeg(im), encode_jpeg(im, kProgressive),
                                    encode_bmp(im, 32, true), encode_ppm(im, false)};
  Rng rng(7);
  int decoded = 0, rejected = 0;
  for (const Bytes& seed : seeds) {
    for (int trial = 0; trial < 300; ++trial) {
      Bytes b = seed;
      const int flips = 1 + int(rng.below(4));
      for (int f = 0; f < flips; ++f) b[rng.below(b.size())] = uint8_t(rng.below(256));
      try {
        const Image out = decode(b);
        EXPECT_EQ(out.rgb.size(), size_t(out.width) * out.height * 3);
        ++decoded;
      } catch (const Error& e) {
        EXPECT_NE(e.kind(), ErrorKind::internal) << e.what();
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(decoded, 0);
}

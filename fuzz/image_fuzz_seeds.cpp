// Writes a seed corpus for fuzz_image into the directory given as argv[1]: small PNGs of every
// color type, JPEGs (baseline, progressive, gray, CMYK, with an EXIF orientation), BMPs and
// PPMs, so the fuzzer starts inside every decoder. Used by fuzz/run.sh; not itself fuzzed.
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t
#include <cstdlib>

#include <jpeglib.h>
#include <spng.h>

#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;
constexpr int kW = 12, kH = 8;

void save(const std::string& dir, const std::string& name, const Bytes& b) {
  FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
  if (!f) {
    std::perror((dir + "/" + name).c_str());
    std::exit(1);
  }
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
}

Bytes png(uint8_t color_type, uint8_t depth, int channels, bool interlaced = false) {
  Bytes px(size_t(kW) * kH * channels * depth / 8 + 64);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 37 % 251);
  if (color_type == SPNG_COLOR_TYPE_INDEXED)
    for (auto& p : px) p %= 4;
  spng_ctx* enc = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(enc, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{kW, kH, depth, color_type, 0, 0, uint8_t(interlaced)};
  spng_set_ihdr(enc, &ihdr);
  if (color_type == SPNG_COLOR_TYPE_INDEXED) {
    spng_plte plte{};
    plte.n_entries = 4;
    for (int i = 0; i < 4; ++i) plte.entries[i] = {uint8_t(60 * i), 7, uint8_t(255 - 60 * i), 0};
    spng_set_plte(enc, &plte);
  }
  const size_t row = (size_t(kW) * channels * depth + 7) / 8;
  spng_encode_image(enc, px.data(), row * kH, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
  size_t len = 0;
  int err = 0;
  auto* buf = static_cast<uint8_t*>(spng_get_png_buffer(enc, &len, &err));
  Bytes out = buf ? Bytes(buf, buf + len) : Bytes();
  std::free(buf);
  spng_ctx_free(enc);
  return out;
}

Bytes jpeg(J_COLOR_SPACE space, int components, bool progressive, const Bytes& app1 = {},
           bool arithmetic = false, int restart_rows = 0) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  jpeg_mem_dest(&c, &buf, &len);
  c.image_width = kW;
  c.image_height = kH;
  c.input_components = components;
  c.in_color_space = space;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 80, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  c.arith_code = arithmetic;
  c.restart_in_rows = restart_rows;
  jpeg_start_compress(&c, TRUE);
  if (!app1.empty()) jpeg_write_marker(&c, JPEG_APP0 + 1, app1.data(), app1.size());
  Bytes row(size_t(kW) * components);
  while (c.next_scanline < c.image_height) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = uint8_t(i * 20 + c.next_scanline * 30);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  Bytes out(buf, buf + len);
  std::free(buf);
  return out;
}

Bytes bmp(int bpp, bool top_down) {
  const size_t stride = (size_t(kW) * bpp / 8 + 3) / 4 * 4;
  Bytes b(54 + stride * kH, 0x55);
  auto put = [&](size_t at, uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b[at + i] = uint8_t(v >> (8 * i));
  };
  b[0] = 'B', b[1] = 'M';
  put(2, uint32_t(b.size()), 4);
  put(6, 0, 4);
  put(10, 54, 4);
  put(14, 40, 4);
  put(18, kW, 4);
  put(22, uint32_t(top_down ? -kH : kH), 4);
  put(26, 1, 2);
  put(28, uint32_t(bpp), 2);
  put(30, 0, 4);
  return b;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  save(dir, "rgb8.png", png(SPNG_COLOR_TYPE_TRUECOLOR, 8, 3));
  save(dir, "rgba16.png", png(SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 16, 4));
  save(dir, "gray1.png", png(SPNG_COLOR_TYPE_GRAYSCALE, 1, 1));
  save(dir, "ga8.png", png(SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, 8, 2));
  save(dir, "plte2.png", png(SPNG_COLOR_TYPE_INDEXED, 2, 1));
  save(dir, "interlaced.png", png(SPNG_COLOR_TYPE_TRUECOLOR, 8, 3, true));
  const Bytes exif = {'E',  'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                      0x12, 1,   3,   0,   1, 0, 0,   0,   6,  0, 0, 0, 0, 0, 0, 0};
  save(dir, "baseline.jpg", jpeg(JCS_RGB, 3, false));
  save(dir, "progressive.jpg", jpeg(JCS_RGB, 3, true));
  save(dir, "gray.jpg", jpeg(JCS_GRAYSCALE, 1, false));
  save(dir, "cmyk.jpg", jpeg(JCS_CMYK, 4, false));
  save(dir, "exif6.jpg", jpeg(JCS_RGB, 3, false, exif));
  save(dir, "arithmetic.jpg", jpeg(JCS_RGB, 3, true, {}, true));
  save(dir, "restarts.jpg", jpeg(JCS_RGB, 3, false, {}, false, 1));
  save(dir, "bottom_up24.bmp", bmp(24, false));
  save(dir, "top_down32.bmp", bmp(32, true));
  Bytes p6 = text("P6\n# seed\n3 2\n255\n");
  for (int i = 0; i < 18; ++i) p6.push_back(uint8_t(i * 14));
  save(dir, "binary.ppm", p6);
  save(dir, "ascii.ppm", text("P3 2 1 15 0 1 2 15 14 13\n"));
  Bytes p5 = text("P5 2 1 1000\n");  // 16-bit samples 1000 and 100
  p5.insert(p5.end(), {0x03, 0xE8, 0x00, 0x64});
  save(dir, "wide.pgm", p5);
  return 0;
}

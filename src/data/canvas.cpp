#include "data/canvas.h"

#include <algorithm>
#include <cmath>

#include "data/font5x7.h"

namespace anymal::data {

namespace {

uint8_t clamp_u8(float v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

Canvas::Canvas(int width, int height, Rgb fill) {
  image_.width = width;
  image_.height = height;
  image_.rgb.resize(size_t(width) * size_t(height) * 3);
  for (size_t i = 0; i < image_.rgb.size(); i += 3) {
    image_.rgb[i] = fill.r;
    image_.rgb[i + 1] = fill.g;
    image_.rgb[i + 2] = fill.b;
  }
}

void Canvas::put(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= image_.width || y >= image_.height) return;
  uint8_t* p = image_.rgb.data() + (size_t(y) * size_t(image_.width) + size_t(x)) * 3;
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Canvas::fill_rect(float x0, float y0, float x1, float y1, Rgb c) {
  for (int y = int(std::ceil(y0 - 0.5f)); float(y) + 0.5f < y1; ++y)
    for (int x = int(std::ceil(x0 - 0.5f)); float(x) + 0.5f < x1; ++x) put(x, y, c);
}

void Canvas::fill_ellipse(float cx, float cy, float rx, float ry, Rgb c) {
  if (rx <= 0 || ry <= 0) return;
  for (int y = int(std::floor(cy - ry)); y <= int(std::ceil(cy + ry)); ++y)
    for (int x = int(std::floor(cx - rx)); x <= int(std::ceil(cx + rx)); ++x) {
      const float dx = (float(x) + 0.5f - cx) / rx, dy = (float(y) + 0.5f - cy) / ry;
      if (dx * dx + dy * dy <= 1.0f) put(x, y, c);
    }
}

void Canvas::fill_polygon(const std::vector<Point>& pts, Rgb c) {
  if (pts.size() < 3) return;
  float lo = pts[0].second, hi = lo;
  for (const Point& p : pts) lo = std::min(lo, p.second), hi = std::max(hi, p.second);
  std::vector<float> xs;
  for (int y = int(std::floor(lo)); y <= int(std::ceil(hi)); ++y) {
    const float sy = float(y) + 0.5f;
    xs.clear();
    for (size_t i = 0; i < pts.size(); ++i) {
      const Point &a = pts[i], &b = pts[(i + 1) % pts.size()];
      if ((a.second <= sy) != (b.second <= sy))
        xs.push_back(a.first + (sy - a.second) / (b.second - a.second) * (b.first - a.first));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2)
      for (int x = int(std::ceil(xs[i] - 0.5f)); float(x) + 0.5f < xs[i + 1]; ++x) put(x, y, c);
  }
}

void Canvas::line(float x0, float y0, float x1, float y1, float width, Rgb c) {
  const float dx = x1 - x0, dy = y1 - y0, len = std::sqrt(dx * dx + dy * dy);
  if (len == 0) return fill_ellipse(x0, y0, width / 2, width / 2, c);
  const float nx = -dy / len * width / 2, ny = dx / len * width / 2;
  fill_polygon({{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}}, c);
}

int Canvas::text_width(const std::string& s, int scale) {
  return s.empty() ? 0 : (int(s.size()) * kGlyphAdvance - 1) * scale;
}

void Canvas::text(int x, int y, const std::string& s, int scale, Rgb c) {
  for (size_t i = 0; i < s.size(); ++i) {
    const uint8_t* rows = glyph_rows(s[i]);
    if (!rows) continue;
    const int gx = x + int(i) * kGlyphAdvance * scale;
    for (int r = 0; r < kGlyphHeight; ++r)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (rows[r] & (0x10 >> col))
          for (int a = 0; a < scale; ++a)
            for (int b = 0; b < scale; ++b) put(gx + col * scale + b, y + r * scale + a, c);
  }
}

void box_blur3(Image& img) {
  const Image src = img;
  const int w = img.width, h = img.height;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        int sum = 0, n = 0;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int sx = x + dx, sy = y + dy;
            if (sx < 0 || sy < 0 || sx >= w || sy >= h) continue;
            sum += src.pixel(sx, sy)[ch];
            ++n;
          }
        img.rgb[(size_t(y) * size_t(w) + size_t(x)) * 3 + size_t(ch)] = uint8_t((sum + n / 2) / n);
      }
}

void add_noise(Image& img, float sigma, Rng& rng) {
  for (uint8_t& v : img.rgb) v = clamp_u8(float(v) + rng.normal(0, sigma));
}

void scale_brightness(Image& img, float factor) {
  for (uint8_t& v : img.rgb) v = clamp_u8(float(v) * factor);
}

Image rotate(const Image& img, float degrees, Rgb fill) {
  Image out = img;
  const float a = degrees * 3.14159265f / 180.0f, ca = std::cos(a), sa = std::sin(a);
  const float cx = float(img.width) / 2, cy = float(img.height) / 2;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      // Inverse mapping: where in the source this output pixel's centre came from.
      const float px = float(x) + 0.5f - cx, py = float(y) + 0.5f - cy;
      const float sx = ca * px + sa * py + cx - 0.5f, sy = -sa * px + ca * py + cy - 0.5f;
      uint8_t* dst = out.rgb.data() + (size_t(y) * size_t(img.width) + size_t(x)) * 3;
      const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= img.width || y0 + 1 >= img.height) {
        dst[0] = fill.r, dst[1] = fill.g, dst[2] = fill.b;
        continue;
      }
      const float fx = sx - float(x0), fy = sy - float(y0);
      for (int ch = 0; ch < 3; ++ch) {
        const float v =
            (1 - fy) * ((1 - fx) * img.pixel(x0, y0)[ch] + fx * img.pixel(x0 + 1, y0)[ch]) +
            fy * ((1 - fx) * img.pixel(x0, y0 + 1)[ch] + fx * img.pixel(x0 + 1, y0 + 1)[ch]);
        dst[ch] = clamp_u8(v);
      }
    }
  return out;
}

}  // namespace anymal::data

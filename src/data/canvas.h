// A small RGB8 rasterizer for the synthetic world: filled rectangles, ellipses and polygons
// (pixel centres inside the shape, no anti-aliasing), thick lines, 5x7 text, and the camera
// effects applied to a finished scene (box blur, Gaussian noise, brightness, small rotation).
// Everything is deterministic: the same calls with the same Rng give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "formats/image.h"

namespace anymal::data {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

using Point = std::pair<float, float>;

class Canvas {
 public:
  Canvas(int width, int height, Rgb fill);
  int width() const { return image_.width; }
  int height() const { return image_.height; }
  const Image& image() const { return image_; }
  Image& image() { return image_; }

  void fill_rect(float x0, float y0, float x1, float y1, Rgb c);  // [x0, x1) x [y0, y1)
  void fill_ellipse(float cx, float cy, float rx, float ry, Rgb c);
  void fill_polygon(const std::vector<Point>& pts, Rgb c);  // even-odd rule
  void line(float x0, float y0, float x1, float y1, float width, Rgb c);
  // Text with its top-left at (x, y), each font pixel drawn as scale x scale.
  void text(int x, int y, const std::string& s, int scale, Rgb c);
  static int text_width(const std::string& s, int scale);

 private:
  void put(int x, int y, Rgb c);
  Image image_;
};

void box_blur3(Image& img);
void add_noise(Image& img, float sigma, Rng& rng);
void scale_brightness(Image& img, float factor);
// Rotated about the centre by `degrees` (bilinear); uncovered corners get `fill`.
Image rotate(const Image& img, float degrees, Rgb fill);

}  // namespace anymal::data

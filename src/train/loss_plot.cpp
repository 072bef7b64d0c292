#include "train/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/canvas.h"
#include "formats/image.h"

namespace anymal::train {

void plot_loss(const std::vector<LossPoint>& points, const std::string& path) {
  constexpr int W = 480, H = 270, L = 40, R = 10, T = 20, B = 30;
  data::Canvas c(W, H, {255, 255, 255});
  c.line(L, T, L, H - B, 1, {0, 0, 0});
  c.line(L, H - B, W - R, H - B, 1, {0, 0, 0});
  if (!points.empty()) {
    float lo = points[0].loss, hi = lo;
    long long last = 1;
    for (const LossPoint& p : points) {
      if (std::isfinite(p.loss)) lo = std::min(lo, p.loss), hi = std::max(hi, p.loss);
      last = std::max(last, p.step);
    }
    if (hi <= lo) hi = lo + 1;
    auto x = [&](long long s) { return float(L) + float(W - L - R) * float(s) / float(last); };
    auto y = [&](float v) { return float(H - B) - float(H - B - T) * (v - lo) / (hi - lo); };
    const data::Rgb palette[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},
                                 {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
    for (size_t i = 1; i < points.size(); ++i) {
      const LossPoint &a = points[i - 1], &b = points[i];
      if (a.stage != b.stage || !std::isfinite(a.loss) || !std::isfinite(b.loss)) continue;
      c.line(x(a.step), y(a.loss), x(b.step), y(b.loss), 1.5f, palette[size_t(b.stage) % 6]);
    }
    char label[32];
    std::snprintf(label, sizeof label, "%.2f", double(hi));
    c.text(2, T - 3, label, 1, {0, 0, 0});
    std::snprintf(label, sizeof label, "%.2f", double(lo));
    c.text(2, H - B - 6, label, 1, {0, 0, 0});
    std::snprintf(label, sizeof label, "%lld", last);
    c.text(W - R - data::Canvas::text_width(label, 1), H - B + 8, label, 1, {0, 0, 0});
  }
  c.text(L + 4, 4, "LOSS", 1, {0, 0, 0});
  save_png(path, c.image());
}

}  // namespace anymal::train

// The loss curve of a run as a PNG: one line per stage (its own colour), loss against the
// run's global step, axes with the range printed. Written atomically beside the metrics.
#pragma once

#include <string>
#include <vector>

namespace anymal::train {

struct LossPoint {
  int stage = 0;
  long long step = 0;  // global (across stages)
  float loss = 0;
};

void plot_loss(const std::vector<LossPoint>& points, const std::string& path);

}  // namespace anymal::train

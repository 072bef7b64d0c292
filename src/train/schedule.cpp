#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace anymal::train {

float WarmupCosine::at(int64_t step) const {
  if (step < warmup_steps) return peak_lr * float(step + 1) / float(warmup_steps);
  int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  double progress = std::min(1.0, double(step - warmup_steps) / double(decay_steps));
  return min_lr + (peak_lr - min_lr) * float(0.5 * (1.0 + std::cos(M_PI * progress)));
}

}  // namespace anymal::train

// Learning-rate schedule: linear warmup from 0 to peak over warmup_steps, then cosine decay
// to min_lr at total_steps (and min_lr after).
#pragma once

#include <cstdint>

namespace anymal::train {

struct WarmupCosine {
  float peak_lr = 1e-3f;
  float min_lr = 0.0f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  float at(int64_t step) const;  // step counts from 0
};

}  // namespace anymal::train

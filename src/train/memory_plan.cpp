#include "train/memory_plan.h"

#include <sys/resource.h>

namespace anymal::train {

MemoryPlan plan_memory(int64_t parameters, int64_t trainable, int world, ShardLevel level,
                       Precision precision) {
  const double w = precision == Precision::f32 ? 4 : 2, g = w,
               o = precision == Precision::f32 ? 8 : 12;
  const double n = double(world), frozen = double(parameters - trainable), t = double(trainable);
  MemoryPlan m;
  m.weights = (frozen + t) * w / (level >= ShardLevel::parameters ? n : 1.0);
  m.gradients = t * g / (level >= ShardLevel::gradients ? n : 1.0);
  m.optimizer = t * o / (level >= ShardLevel::optimizer ? n : 1.0);
  return m;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace anymal::train

#include "train/grad_clip.h"

#include <cmath>

namespace anymal::train {

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm) {
  double total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    const float* d = g.data<float>();
    for (int64_t i = 0; i < g.numel(); ++i) total += double(d[i]) * d[i];
  }
  float norm = float(std::sqrt(total));
  if (norm > max_norm) {
    float s = max_norm / (norm + 1e-6f);
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      float* d = g.mutable_data<float>();
      for (int64_t i = 0; i < g.numel(); ++i) d[i] *= s;
    }
  }
  return norm;
}

}  // namespace anymal::train

// AdamW with decoupled weight decay, exactly PyTorch's torch.optim.AdamW update:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
// Parameters are the f32 master weights; gradients are read from their .grad().
#pragma once

#include <vector>

#include "core/tensor.h"

namespace anymal::train {

struct AdamWOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.01f;
};

// One step's constants (lr, bias corrections) and the element update: shared by AdamW and the
// sharded optimizer, so that both compute the same bits.
struct AdamWStep {
  float step_size, bc2_sqrt, decay, b1, b2, eps;
  static AdamWStep at(const AdamWOptions& opt, float lr, int64_t step);
};
// p, m, v updated in place from the gradient g (n elements; threaded).
void adamw_update(float* p, float* m, float* v, const float* g, int64_t n, const AdamWStep& k);

class AdamW {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions opt);

  // One update of every parameter that has a gradient. lr overrides opt.lr when >= 0 (for
  // schedules).
  void step(float lr = -1.0f);
  void zero_grad();
  int64_t steps() const { return step_; }
  const AdamWOptions& options() const { return opt_; }

  // State for checkpoints: first and second moments per parameter, and the step count.
  const std::vector<Tensor>& first_moments() const { return m_; }
  const std::vector<Tensor>& second_moments() const { return v_; }
  void set_steps(int64_t s) { step_ = s; }
  const std::vector<Tensor>& params() const { return params_; }

 private:
  std::vector<Tensor> params_, m_, v_;
  AdamWOptions opt_;
  int64_t step_ = 0;
};

}  // namespace anymal::train

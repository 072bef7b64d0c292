#include "train/adamw.h"

#include <cmath>

#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::train {

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions opt) : params_(std::move(params)), opt_(opt) {
  for (const Tensor& p : params_) {
    if (p.dtype() != DType::f32 || !p.is_contiguous())
      throw_error(ErrorKind::invalid_input, "AdamW: parameter " + p.name() +
                                                " must be contiguous f32 (master weights), got " +
                                                p.str());
    m_.push_back(Tensor::zeros(p.shape()));
    v_.push_back(Tensor::zeros(p.shape()));
  }
}

void AdamW::step(float lr) {
  if (lr < 0) lr = opt_.lr;
  ++step_;
  const double bc1 = 1.0 - std::pow(double(opt_.beta1), double(step_));
  const double bc2 = 1.0 - std::pow(double(opt_.beta2), double(step_));
  const float step_size = float(lr / bc1), bc2_sqrt = float(std::sqrt(bc2));
  const float decay = 1.0f - lr * opt_.weight_decay, b1 = opt_.beta1, b2 = opt_.beta2,
              eps = opt_.eps;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    if (g.dtype() != DType::f32 || !g.is_contiguous() || g.shape() != params_[i].shape())
      throw_error(ErrorKind::internal, "AdamW: gradient " + g.str() + " for " + params_[i].str());
    float* p = params_[i].mutable_data<float>();
    float* m = m_[i].mutable_data<float>();
    float* v = v_[i].mutable_data<float>();
    const float* gd = g.data<float>();
    parallel_for(params_[i].numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) {
        p[j] *= decay;
        m[j] = b1 * m[j] + (1 - b1) * gd[j];
        v[j] = b2 * v[j] + (1 - b2) * gd[j] * gd[j];
        p[j] -= step_size * m[j] / (std::sqrt(v[j]) / bc2_sqrt + eps);
      }
    });
  }
}

void AdamW::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

}  // namespace anymal::train

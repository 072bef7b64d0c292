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

AdamWStep AdamWStep::at(const AdamWOptions& opt, float lr, int64_t step) {
  const double bc1 = 1.0 - std::pow(double(opt.beta1), double(step));
  const double bc2 = 1.0 - std::pow(double(opt.beta2), double(step));
  return {
      float(lr / bc1), float(std::sqrt(bc2)), 1.0f - lr * opt.weight_decay, opt.beta1, opt.beta2,
      opt.eps};
}

void adamw_update(float* p, float* m, float* v, const float* g, int64_t n, const AdamWStep& k) {
  parallel_for(n, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      p[j] *= k.decay;
      m[j] = k.b1 * m[j] + (1 - k.b1) * g[j];
      v[j] = k.b2 * v[j] + (1 - k.b2) * g[j] * g[j];
      p[j] -= k.step_size * m[j] / (std::sqrt(v[j]) / k.bc2_sqrt + k.eps);
    }
  });
}

void AdamW::step(float lr) {
  if (lr < 0) lr = opt_.lr;
  ++step_;
  const AdamWStep k = AdamWStep::at(opt_, lr, step_);
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    if (g.dtype() != DType::f32 || !g.is_contiguous() || g.shape() != params_[i].shape())
      throw_error(ErrorKind::internal, "AdamW: gradient " + g.str() + " for " + params_[i].str());
    adamw_update(params_[i].mutable_data<float>(), m_[i].mutable_data<float>(),
                 v_[i].mutable_data<float>(), g.data<float>(), params_[i].numel(), k);
  }
}

void AdamW::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

}  // namespace anymal::train

#include "train/adamw.h"

#include <cmath>

#include "backend/cpu/kernels.h"
#include "core/error.h"

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
  cpu::cpu_kernels().adamw(p, m, v, g, n, {k.step_size, k.bc2_sqrt, k.decay, k.b1, k.b2, k.eps});
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

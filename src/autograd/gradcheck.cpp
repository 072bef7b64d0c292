#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/backward.h"
#include "core/rng.h"

namespace anymal::autograd {

namespace {

double weighted_sum(const Tensor& out, const std::vector<float>& cot) {
  std::vector<float> v = out.to_floats();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += double(v[i]) * cot[i];
  return s;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  for (const Tensor& t : inputs)
    if (t.requires_grad()) t.zero_grad();
  Tensor out = fn(inputs);
  Rng rng(opt.seed);
  std::vector<float> cot(static_cast<size_t>(out.numel()));
  for (float& c : cot) c = rng.normal();
  backward(out, Tensor::from_floats(cot, out.shape()));

  GradcheckResult result;
  NoGrad no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    if (x.dtype() != DType::f32 || !x.is_contiguous())
      throw_error(ErrorKind::invalid_input, "gradcheck: inputs must be contiguous f32");
    std::vector<float> analytic =
        x.grad().defined() ? x.grad().to_floats() : std::vector<float>(size_t(x.numel()), 0.0f);
    float* p = x.mutable_data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      float saved = p[i];
      p[i] = saved + opt.step;
      double up = weighted_sum(fn(inputs), cot);
      p[i] = saved - opt.step;
      double down = weighted_sum(fn(inputs), cot);
      p[i] = saved;
      double numeric = (up - down) / (2.0 * opt.step);
      double err =
          std::abs(analytic[size_t(i)] - numeric) / (opt.atol + opt.rtol * std::abs(numeric));
      if (!(err <= result.worst)) {  // also catches NaN
        result.worst = std::isnan(err) ? INFINITY : float(err);
        result.where = "input " + std::to_string(k) + " element " + std::to_string(i) +
                       ": analytic " + std::to_string(analytic[size_t(i)]) + " numeric " +
                       std::to_string(numeric);
      }
    }
  }
  return result;
}

}  // namespace anymal::autograd

// Finite-difference gradient checking for tests.
//
// gradcheck(fn, inputs) compares, for every element of every float input that requires grad,
// the analytic gradient of L = Σ fn(inputs) ⊙ C (C a fixed random cotangent) with the central
// difference (L(x+h) - L(x-h)) / 2h. Returns the worst mismatch, scaled as
// |analytic - numeric| / (atol + rtol·|numeric|): <= 1 passes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace anymal::autograd {

struct GradcheckOptions {
  float step = 1e-2f;  // h; f32 inputs need a large step (rounding error ~ 1e-7/h)
  float atol = 2e-3f;
  float rtol = 2e-2f;
  uint64_t seed = 7;
};

struct GradcheckResult {
  float worst = 0;    // <= 1 passes
  std::string where;  // "input 1 element 7: analytic 0.52 numeric 0.49"
  bool ok() const { return worst <= 1.0f; }
};

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opt = {});

}  // namespace anymal::autograd

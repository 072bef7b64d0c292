// Normalizations over the last dim. Weight/bias are [last dim] (or undefined for none).
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

// x / sqrt(mean(x²) + eps) * w
Tensor rms_norm(const Tensor& x, const Tensor& w, float eps);
// (x - mean) / sqrt(var + eps) * w + b (biased variance, like PyTorch)
Tensor layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps);

}  // namespace anymal::ops

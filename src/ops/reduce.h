// Reductions over one axis (f32 results).
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor sum(const Tensor& x, int axis, bool keepdim = false);
Tensor mean(const Tensor& x, int axis, bool keepdim = false);
Tensor sum_all(const Tensor& x);  // 0-d

}  // namespace anymal::ops

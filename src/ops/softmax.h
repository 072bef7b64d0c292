// Softmax over the last dim. With `causal`, x is [..., T_q, T_k] and query row i sees keys
// j <= i + (T_k - T_q); masked entries are exactly 0.
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor softmax(const Tensor& x, bool causal = false);

}  // namespace anymal::ops

// matmul(a, b): C = op(a) · op(b) with op(X) = X or Xᵀ (trans flags), over the last two dims.
// a: [..., M, K] (or [..., K, M] when trans_a); b: [..., K, N] (or [..., N, K] when trans_b).
// Batch dims must match, or one side is 2-D and is shared by every batch (a weight).
// Computes in bf16 (bf16 x bf16 -> f32, oneDNN) when either input is bf16, else in f32.
// The result is always f32: [..., M, N].
#pragma once

#include "core/tensor.h"

namespace anymal::ops {

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// y = x · wᵀ (+ bias): the nn.Linear convention, w is [out, in].
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());

}  // namespace anymal::ops

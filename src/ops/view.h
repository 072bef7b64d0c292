// View ops: new shapes/strides over the same storage, no copies (except contiguous/cast when
// they must). All differentiable.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace anymal::ops {

// One dim may be -1 (inferred). Views when the layout allows, else copies (like torch.reshape).
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor reshape(const Tensor& x, std::initializer_list<int64_t> dims);
Tensor permute(const Tensor& x, const std::vector<int>& order);
Tensor transpose(const Tensor& x, int a, int b);
// Elements [start, end) along axis (negative indices count from the end).
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);
// Broadcast view (stride 0 along expanded dims); leading dims may be added.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor contiguous(const Tensor& x);
// Converts to `dtype` (a new tensor; the gradient flows back as f32).
Tensor cast(const Tensor& x, DType dtype);

}  // namespace anymal::ops

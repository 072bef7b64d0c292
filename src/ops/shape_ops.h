// Ops that rearrange elements: concat, split, patchify and the patch-embedding conv.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace anymal::ops {

// Joins tensors along `axis`; all other dims must match. Result dtype: that of the first.
Tensor concat(const std::vector<Tensor>& parts, int axis);
// Views of consecutive pieces along `axis`; sizes must add up to that dim.
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis);

// img [B, C, H, W] -> [B, (H/P)*(W/P), C*P*P] (row-major patch grid, features (c, y, x)).
// H and W must be multiples of P.
Tensor patchify(const Tensor& img, int64_t patch);
// Convolution with stride = kernel (a ViT patch embedding): img [B, C, H, W],
// weight [E, C, P, P], bias [E] (optional) -> [B, (H/P)*(W/P), E].
Tensor conv2d_patch(const Tensor& img, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace anymal::ops

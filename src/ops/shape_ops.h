// Ops that rearrange elements: concat, split, patchify and the patch-embedding conv, unfold1d
// and the 1-D convolution built on it.
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

// Sliding windows over time for a 1-D convolution, channels last: x [B, T, C] ->
// [B, T_out, C*K] with features (c, k) (PyTorch's conv1d weight order), zero padding `pad` on
// both sides, T_out = (T + 2*pad - K) / stride + 1 (at least 1).
Tensor unfold1d(const Tensor& x, int64_t kernel, int64_t stride, int64_t pad);
// 1-D convolution, channels last (Whisper's and the IMU encoder's stems): x [B, T, C_in],
// weight [C_out, C_in, K] (PyTorch's layout), bias [C_out] (optional) -> [B, T_out, C_out].
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t pad);

}  // namespace anymal::ops

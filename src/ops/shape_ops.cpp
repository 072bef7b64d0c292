#include "ops/shape_ops.h"

#include "backend/cpu/reference.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::ops {

using namespace detail;

Tensor concat(const std::vector<Tensor>& parts, int axis) {
  if (parts.empty()) fail("concat", "no tensors");
  const Tensor& first = parts[0];
  int ax = first.shape().normalize_axis(axis);
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  for (const Tensor& t : parts) {
    bool same = t.ndim() == first.ndim();
    for (int i = 0; same && i < t.ndim(); ++i) same = i == ax || t.shape()[i] == first.shape()[i];
    if (!same)
      fail("concat", "shapes " + first.shape().str() + " and " + t.shape().str() +
                         " differ outside axis " + std::to_string(axis));
    if (t.dtype() == DType::i32 && first.dtype() != DType::i32)
      fail("concat", "mixes i32 and float");
    out_shape[ax] += t.shape()[ax];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype());
  std::vector<int64_t> sizes;
  int64_t at = 0;
  for (const Tensor& t : parts) {
    Shape s = out_shape;
    s[ax] = t.shape()[ax];
    copy_into(t, out.view_as(s, out.strides(), at * out.strides()[ax]));
    at += s[ax];
    sizes.push_back(s[ax]);
  }
  if (!is_float(first.dtype())) return out;
  return record(out, "concat", parts, [sizes, ax](const Tensor& g, const std::vector<bool>&) {
    std::vector<Tensor> grads;
    int64_t start = 0;
    for (int64_t n : sizes) {
      grads.push_back(slice(g, ax, start, start + n));
      start += n;
    }
    return grads;
  });
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis) {
  int ax = x.shape().normalize_axis(axis);
  int64_t total = 0;
  for (int64_t n : sizes) {
    if (n < 0) fail("split", "negative size " + std::to_string(n));
    total += n;
  }
  if (total != x.shape()[ax])
    fail("split", "sizes add up to " + std::to_string(total) + " but axis " + std::to_string(axis) +
                      " of " + x.shape().str() + " has " + std::to_string(x.shape()[ax]));
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t n : sizes) {
    out.push_back(slice(x, ax, start, start + n));
    start += n;
  }
  return out;
}

Tensor patchify(const Tensor& img, int64_t patch) {
  expect_float("patchify", img, "image");
  expect_ndim("patchify", img, 4, "image [B,C,H,W]");
  int64_t B = img.dim(0), C = img.dim(1), H = img.dim(2), W = img.dim(3);
  if (patch <= 0 || H % patch != 0 || W % patch != 0)
    fail("patchify", "image " + img.shape().str() + " is not a whole number of " +
                         std::to_string(patch) + "x" + std::to_string(patch) + " patches");
  Tensor xf = f32c(img),
         out = Tensor::empty(Shape{B, (H / patch) * (W / patch), C * patch * patch});
  cpu::reference::patchify(xf.data<float>(), out.mutable_data<float>(), B, C, H, W, patch);
  return record(to_dtype(out, img.dtype()), "patchify", {img},
                [B, C, H, W, patch](const Tensor& g, const std::vector<bool>&) {
                  Tensor gf = f32c(g), gi = Tensor::empty(Shape{B, C, H, W});
                  cpu::reference::unpatchify(gf.data<float>(), gi.mutable_data<float>(), B, C, H, W,
                                             patch);
                  return std::vector<Tensor>{gi};
                });
}

Tensor conv2d_patch(const Tensor& img, const Tensor& weight, const Tensor& bias) {
  expect_ndim("conv2d_patch", weight, 4, "weight [E,C,P,P]");
  if (weight.dim(2) != weight.dim(3))
    fail("conv2d_patch", "kernel must be square, got " + weight.shape().str());
  if (img.ndim() == 4 && img.dim(1) != weight.dim(1))
    fail("conv2d_patch", "image has " + std::to_string(img.dim(1)) + " channels, weight " +
                             weight.shape().str() + " expects " + std::to_string(weight.dim(1)));
  Tensor patches = patchify(img, weight.dim(2));
  Tensor w2 = reshape(weight, {weight.dim(0), -1});
  return linear(patches, w2, bias);
}

Tensor unfold1d(const Tensor& x, int64_t K, int64_t stride, int64_t pad) {
  expect_float("unfold1d", x, "input");
  expect_ndim("unfold1d", x, 3, "input [B,T,C]");
  const int64_t B = x.dim(0), T = x.dim(1), C = x.dim(2);
  if (K <= 0 || stride <= 0 || pad < 0 || T + 2 * pad < K)
    fail("unfold1d", "kernel " + std::to_string(K) + ", stride " + std::to_string(stride) +
                         ", padding " + std::to_string(pad) + " do not fit " + std::to_string(T) +
                         " steps");
  const int64_t T_out = (T + 2 * pad - K) / stride + 1;
  Tensor xf = f32c(x), out = Tensor::zeros(Shape{B, T_out, C * K});
  const float* src = xf.data<float>();
  float* dst = out.mutable_data<float>();
  // Each output row gathers K input rows (t = o*stride - pad + k); outside [0, T) stays 0.
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < T_out; ++o)
      for (int64_t k = 0; k < K; ++k) {
        const int64_t t = o * stride - pad + k;
        if (t < 0 || t >= T) continue;
        const float* in = src + (b * T + t) * C;
        float* row = dst + (b * T_out + o) * C * K;
        for (int64_t c = 0; c < C; ++c) row[c * K + k] = in[c];
      }
  return record(to_dtype(out, x.dtype()), "unfold1d", {x},
                [B, T, C, K, stride, pad, T_out](const Tensor& g, const std::vector<bool>&) {
                  Tensor gf = f32c(g), gx = Tensor::zeros(Shape{B, T, C});
                  const float* gsrc = gf.data<float>();
                  float* gdst = gx.mutable_data<float>();
                  for (int64_t b = 0; b < B; ++b)
                    for (int64_t o = 0; o < T_out; ++o)
                      for (int64_t k = 0; k < K; ++k) {
                        const int64_t t = o * stride - pad + k;
                        if (t < 0 || t >= T) continue;
                        const float* row = gsrc + (b * T_out + o) * C * K;
                        float* in = gdst + (b * T + t) * C;
                        for (int64_t c = 0; c < C; ++c) in[c] += row[c * K + k];
                      }
                  return std::vector<Tensor>{gx};
                });
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t pad) {
  expect_ndim("conv1d", weight, 3, "weight [C_out,C_in,K]");
  if (x.ndim() == 3 && x.dim(2) != weight.dim(1))
    fail("conv1d", "input has " + std::to_string(x.dim(2)) + " channels, weight " +
                       weight.shape().str() + " expects " + std::to_string(weight.dim(1)));
  Tensor windows = unfold1d(x, weight.dim(2), stride, pad);
  return linear(windows, reshape(weight, {weight.dim(0), -1}), bias);
}

}  // namespace anymal::ops

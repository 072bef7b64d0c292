#include "ops/reduce.h"

#include "ops/elementwise.h"
#include "ops/op_util.h"
#include "ops/view.h"

namespace anymal::ops {

using namespace detail;

namespace {

// x viewed as [outer, n, inner]; out[o, i] = alpha * Σ_k x[o, k, i] (accumulated in double).
Tensor reduce_axis(const Tensor& x, int axis, bool keepdim, float alpha, const char* op) {
  expect_float(op, x, "x");
  int ax = x.shape().normalize_axis(axis);
  int64_t outer = 1, inner = 1, n = x.shape()[ax];
  for (int i = 0; i < ax; ++i) outer *= x.shape()[i];
  for (int i = ax + 1; i < x.ndim(); ++i) inner *= x.shape()[i];
  Shape kept = x.shape();
  kept[ax] = 1;
  Tensor xf = f32c(x), out = Tensor::empty(kept);
  const float* src = xf.data<float>();
  float* dst = out.mutable_data<float>();
  std::vector<double> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < inner; ++i) acc[size_t(i)] += src[(o * n + k) * inner + i];
    for (int64_t i = 0; i < inner; ++i) dst[o * inner + i] = float(acc[size_t(i)] * alpha);
  }
  Shape result_shape;
  for (int i = 0; i < x.ndim(); ++i)
    if (keepdim || i != ax) result_shape.push_back(kept[i]);
  Tensor result = out.view_as(result_shape, contiguous_strides(result_shape), 0);
  return record(result, op, {x},
                [kept, xs = x.shape(), alpha](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{scale(expand(reshape(g, kept), xs), alpha)};
                });
}

}  // namespace

Tensor sum(const Tensor& x, int axis, bool keepdim) {
  return reduce_axis(x, axis, keepdim, 1.0f, "sum");
}

Tensor mean(const Tensor& x, int axis, bool keepdim) {
  int64_t n = x.shape().dim(axis);
  return reduce_axis(x, axis, keepdim, n > 0 ? 1.0f / float(n) : 0.0f, "mean");
}

Tensor sum_all(const Tensor& x) { return reshape(sum(reshape(x, {-1}), 0), Shape{}); }

}  // namespace anymal::ops

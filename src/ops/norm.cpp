#include "ops/norm.h"

#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

namespace {

void check_param(const char* op, const Tensor& p, int64_t cols, const char* role) {
  if (!p.defined()) return;
  expect_float(op, p, role);
  if (p.ndim() != 1 || p.dim(0) != cols)
    fail(op, std::string(role) + " has shape " + p.shape().str() + ", expected [" +
                 std::to_string(cols) + "]");
}

const float* ptr(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

Tensor rms_norm(const Tensor& x, const Tensor& w, float eps) {
  expect_float("rms_norm", x, "x");
  if (x.ndim() == 0) fail("rms_norm", "x is a scalar");
  int64_t cols = x.dim(-1), rows = x.numel() / std::max<int64_t>(1, cols);
  check_param("rms_norm", w, cols, "weight");
  Tensor xf = f32c(x), wf = w.defined() ? f32c(w) : Tensor(), y = Tensor::empty(x.shape());
  cpu_kernels().rms_norm(xf.data<float>(), ptr(wf), y.mutable_data<float>(), rows, cols, eps);
  return record(to_dtype(y, x.dtype()), "rms_norm", {x, w},
                [xf, wf, rows, cols, eps](const Tensor& g, const std::vector<bool>& needs) {
                  Tensor gf = f32c(g), gx = Tensor::empty(xf.shape());
                  Tensor gw = needs[1] ? Tensor::empty(wf.shape()) : Tensor();
                  cpu_kernels().rms_norm_backward(
                      xf.data<float>(), ptr(wf), gf.data<float>(), gx.mutable_data<float>(),
                      gw.defined() ? gw.mutable_data<float>() : nullptr, rows, cols, eps);
                  return std::vector<Tensor>{gx, gw};
                });
}

Tensor layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps) {
  expect_float("layer_norm", x, "x");
  if (x.ndim() == 0) fail("layer_norm", "x is a scalar");
  int64_t cols = x.dim(-1), rows = x.numel() / std::max<int64_t>(1, cols);
  check_param("layer_norm", w, cols, "weight");
  check_param("layer_norm", b, cols, "bias");
  Tensor xf = f32c(x), wf = w.defined() ? f32c(w) : Tensor(), bf = b.defined() ? f32c(b) : Tensor();
  Tensor y = Tensor::empty(x.shape());
  cpu_kernels().layer_norm(xf.data<float>(), ptr(wf), ptr(bf), y.mutable_data<float>(), rows, cols,
                           eps);
  return record(to_dtype(y, x.dtype()), "layer_norm", {x, w, b},
                [xf, wf, rows, cols, eps](const Tensor& g, const std::vector<bool>& needs) {
                  Tensor gf = f32c(g), gx = Tensor::empty(xf.shape());
                  Tensor gw = needs[1] ? Tensor::empty(Shape{cols}) : Tensor();
                  Tensor gb = needs[2] ? Tensor::empty(Shape{cols}) : Tensor();
                  cpu_kernels().layer_norm_backward(
                      xf.data<float>(), ptr(wf), gf.data<float>(), gx.mutable_data<float>(),
                      gw.defined() ? gw.mutable_data<float>() : nullptr,
                      gb.defined() ? gb.mutable_data<float>() : nullptr, rows, cols, eps);
                  return std::vector<Tensor>{gx, gw, gb};
                });
}

}  // namespace anymal::ops

#include "ops/softmax.h"

#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

Tensor softmax(const Tensor& x, bool causal) {
  expect_float("softmax", x, "x");
  if (x.ndim() < (causal ? 2 : 1))
    fail("softmax", std::string("x needs at least ") + (causal ? "2 dims (causal)" : "1 dim") +
                        ", got " + x.shape().str());
  int64_t cols = x.dim(-1), rows = x.numel() / std::max<int64_t>(1, cols);
  int64_t causal_q = causal ? x.dim(-2) : 0;
  Tensor xf = f32c(x), y = Tensor::empty(x.shape());
  cpu_kernels().softmax(xf.data<float>(), y.mutable_data<float>(), rows, cols, causal_q);
  return record(to_dtype(y, x.dtype()), "softmax", {x},
                [y = detach(y), rows, cols](const Tensor& g, const std::vector<bool>&) {
                  Tensor gf = f32c(g), gx = Tensor::empty(y.shape());
                  cpu_kernels().softmax_backward(y.data<float>(), gf.data<float>(),
                                                 gx.mutable_data<float>(), rows, cols);
                  return std::vector<Tensor>{gx};
                });
}

}  // namespace anymal::ops

#include "ops/loss.h"

#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index) {
  expect_float("cross_entropy", logits, "logits");
  if (targets.dtype() != DType::i32)
    fail("cross_entropy", "targets must be i32, got " + targets.str());
  if (logits.ndim() < 1) fail("cross_entropy", "logits is a scalar");
  int64_t vocab = logits.dim(-1), rows = logits.numel() / std::max<int64_t>(1, vocab);
  if (targets.numel() != rows)
    fail("cross_entropy", "logits " + logits.shape().str() + " has " + std::to_string(rows) +
                              " rows but targets " + targets.shape().str() + " has " +
                              std::to_string(targets.numel()));
  Tensor tc = contiguous_copy(targets);
  const int32_t* t = tc.data<int32_t>();
  int64_t valid = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (t[r] == ignore_index) continue;
    if (t[r] < 0 || t[r] >= vocab)
      fail("cross_entropy", "target " + std::to_string(t[r]) + " at row " + std::to_string(r) +
                                " is out of range [0, " + std::to_string(vocab) + ")");
    ++valid;
  }
  Tensor lf = f32c(logits);
  Tensor row_loss = Tensor::empty(Shape{rows}), lse = Tensor::empty(Shape{rows});
  cpu_kernels().cross_entropy(lf.data<float>(), t, row_loss.mutable_data<float>(),
                              lse.mutable_data<float>(), rows, vocab, ignore_index);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) total += row_loss.data<float>()[r];
  Tensor loss = Tensor::scalar(valid > 0 ? float(total / double(valid)) : 0.0f);
  return record(loss, "cross_entropy", {logits},
                [lf, tc, lse, rows, vocab, valid, ignore_index, ls = logits.shape()](
                    const Tensor& g, const std::vector<bool>&) {
                  Tensor gl = Tensor::empty(ls);
                  float gscale = valid > 0 ? g.item() / float(valid) : 0.0f;
                  cpu_kernels().cross_entropy_backward(
                      lf.data<float>(), tc.data<int32_t>(), lse.data<float>(), gscale,
                      gl.mutable_data<float>(), rows, vocab, ignore_index);
                  return std::vector<Tensor>{gl};
                });
}

}  // namespace anymal::ops

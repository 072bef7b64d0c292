#include "ops/embedding.h"

#include "backend/cpu/reference.h"
#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

Tensor embedding(const Tensor& table, const Tensor& ids) {
  expect_float("embedding", table, "table");
  expect_ndim("embedding", table, 2, "table [V,D]");
  if (ids.dtype() != DType::i32) fail("embedding", "ids must be i32, got " + ids.str());
  if (ids.ndim() >= kMaxDims) fail("embedding", "ids have too many dims: " + ids.shape().str());
  int64_t vocab = table.dim(0), dim = table.dim(1);
  Tensor idc = contiguous_copy(ids);
  const int32_t* id = idc.data<int32_t>();
  for (int64_t i = 0; i < idc.numel(); ++i)
    if (id[i] < 0 || id[i] >= vocab)
      fail("embedding", "id " + std::to_string(id[i]) + " at position " + std::to_string(i) +
                            " is out of range [0, " + std::to_string(vocab) + ")");
  Shape out_shape = ids.shape();
  out_shape.push_back(dim);
  Tensor tf = f32c(table), out = Tensor::empty(out_shape);
  cpu::reference::gather_rows(tf.data<float>(), id, idc.numel(), dim, out.mutable_data<float>());
  return record(to_dtype(out, table.dtype()), "embedding", {table},
                [idc, ts = table.shape()](const Tensor& g, const std::vector<bool>&) {
                  Tensor gf = f32c(g), gt = Tensor::zeros(ts);
                  cpu::reference::scatter_add_rows(gf.data<float>(), idc.data<int32_t>(),
                                                   idc.numel(), ts[1], gt.mutable_data<float>());
                  return std::vector<Tensor>{gt};
                });
}

}  // namespace anymal::ops

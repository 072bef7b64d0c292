#include "ops/rope.h"

#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/reference.h"
#include "ops/op_util.h"

namespace anymal::ops {

using namespace detail;

namespace {

Tensor rope_apply(const Tensor& x, const Tensor& positions, float base, RopeMode mode,
                  int64_t n_rot, bool inverse) {
  Tensor xf = f32c(x), y = Tensor::empty(x.shape());
  Tensor pos = contiguous_copy(positions);
  std::vector<double> cs(static_cast<size_t>(x.dim(1) * n_rot));
  cpu::reference::rope_table(pos.data<int32_t>(), x.dim(1), n_rot, base, cs.data());
  cpu::cpu_kernels().rope_apply(xf.data<float>(), y.mutable_data<float>(), cs.data(), x.dim(0),
                                x.dim(1), x.dim(2), x.dim(3), n_rot, mode == RopeMode::neox,
                                inverse);
  return y;
}

}  // namespace

Tensor rope(const Tensor& x, const Tensor& positions, float base, RopeMode mode, int64_t n_rot) {
  expect_float("rope", x, "x");
  expect_ndim("rope", x, 4, "x [B,T,H,D]");
  if (positions.dtype() != DType::i32 || positions.ndim() != 1 || positions.dim(0) != x.dim(1))
    fail("rope",
         "positions must be i32 [" + std::to_string(x.dim(1)) + "], got " + positions.str());
  if (n_rot == 0) n_rot = x.dim(3);
  if (n_rot < 0 || n_rot > x.dim(3) || n_rot % 2 != 0)
    fail("rope", "n_rot " + std::to_string(n_rot) + " must be even and at most head dim " +
                     std::to_string(x.dim(3)));
  if (!(base > 0)) fail("rope", "base must be positive");
  Tensor y = rope_apply(x, positions, base, mode, n_rot, false);
  return record(to_dtype(y, x.dtype()), "rope", {x},
                [positions, base, mode, n_rot](const Tensor& g, const std::vector<bool>&) {
                  // A rotation's transpose is the rotation by -θ.
                  return std::vector<Tensor>{rope_apply(g, positions, base, mode, n_rot, true)};
                });
}

}  // namespace anymal::ops

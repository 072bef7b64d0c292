#include "backend/cpu/packed_bf16.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

bool packing_bf16_pays() {
#if defined(__x86_64__)
  static const bool bf16_dot = __builtin_cpu_supports("avx512bf16");
#else
  const bool bf16_dot = false;
#endif
  return cpu_kernels().variant == KernelVariant::avx512 && bf16_dot;
}

PackedBF16::PackedBF16(const uint16_t* w, int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {
  ANYMAL_ASSERT(rows > 0 && cols > 0);
  data_ = allocate_packed(bytes());
  const int64_t np = pairs();
  parallel_for(groups(), 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      uint16_t* dst = reinterpret_cast<uint16_t*>(data_.get()) + g * np * 2 * kPackRows;
      const int64_t n = std::min(kPackRows, rows - g * kPackRows);
      if (n < kPackRows || cols % 2)  // padding rows, an odd last column's partner: zero
        std::memset(dst, 0, size_t(np * 2 * kPackRows) * 2);
      for (int64_t j0 = 0; j0 < cols; j0 += 64)  // 16 source rows' spans stay in L1
        for (int64_t r = 0; r < n; ++r) {
          const uint16_t* src = w + (g * kPackRows + r) * cols;
          for (int64_t j = j0; j < std::min(cols, j0 + 64); ++j)
            dst[(j / 2) * 2 * kPackRows + 2 * r + j % 2] = src[j];
        }
    }
  });
}

void packed_bf16_matmul(std::span<const PackedBF16Product> products, const float* x, int64_t t,
                        std::vector<uint16_t>& xb) {
  const CpuKernels& kern = cpu_kernels();
  const int64_t cols = products[0].w->cols(), width = 2 * products[0].w->pairs();
  for (const PackedBF16Product& p : products) ANYMAL_ASSERT(p.w->cols() == cols);
  xb.resize(size_t(t * width));
  if (width == cols) {  // x rounded as ggml rounds it for bf16 weights, in one parallel pass
    kern.from_f32(DType::bf16, x, xb.data(), t * cols);
  } else {
    for (int64_t i = 0; i < t; ++i) {  // row by row, each with a zero partner for the last
      kern.from_f32(DType::bf16, x + i * cols, xb.data() + i * width, cols);
      xb[size_t(i * width + cols)] = 0;
    }
  }
  run_packed_products(
      products, t, [&](const PackedBF16Product& p, int64_t g0, int64_t g1, int64_t i0, int64_t i1) {
        kern.packed_bf16_dot(*p.w, g0, g1, xb.data(), i0, i1, p.y, p.w->rows());
      });
}

namespace reference {

void packed_bf16_dot(const PackedBF16& w, int64_t g0, int64_t g1, const uint16_t* xb, int64_t i0,
                     int64_t i1, float* y, int64_t ldy) {
  const int64_t width = 2 * w.pairs();
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t r = 0; r < kPackRows && g * kPackRows + r < w.rows(); ++r)
      for (int64_t i = i0; i < i1; ++i) {
        float sum = 0;
        for (int64_t j = 0; j < width; ++j)
          sum += bf16_to_f32(w.group(g)[(j / 2) * 2 * kPackRows + 2 * r + j % 2]) *
                 bf16_to_f32(xb[i * width + j]);
        y[i * ldy + g * kPackRows + r] = sum;
      }
}

}  // namespace reference

}  // namespace anymal::cpu

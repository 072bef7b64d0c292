#include "backend/cpu/packed_f16.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

bool packing_f16_pays() { return cpu_kernels().variant == KernelVariant::avx512; }

PackedF16::PackedF16(const uint16_t* w, int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {
  ANYMAL_ASSERT(rows > 0 && cols > 0);
  data_ = allocate_packed(bytes());
  parallel_for(groups(), 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      uint16_t* dst = reinterpret_cast<uint16_t*>(data_.get()) + g * cols * kPackRows;
      const int64_t n = std::min(kPackRows, rows - g * kPackRows);
      if (n < kPackRows) std::memset(dst, 0, size_t(cols * kPackRows) * 2);  // padding rows: 0
      // Column blocks of 64 keep the 16 source rows' spans in L1 while they are transposed.
      for (int64_t j0 = 0; j0 < cols; j0 += 64)
        for (int64_t r = 0; r < n; ++r) {
          const uint16_t* src = w + (g * kPackRows + r) * cols;
          for (int64_t j = j0; j < std::min(cols, j0 + 64); ++j) dst[j * kPackRows + r] = src[j];
        }
    }
  });
}

void packed_f16_matmul(std::span<const PackedF16Product> products, const float* x, int64_t t) {
  const CpuKernels& kern = cpu_kernels();
  for (const PackedF16Product& p : products) ANYMAL_ASSERT(p.w->cols() == products[0].w->cols());
  run_packed_products(
      products, t, [&](const PackedF16Product& p, int64_t g0, int64_t g1, int64_t i0, int64_t i1) {
        kern.packed_f16_dot(*p.w, g0, g1, x, i0, i1, p.y, p.w->rows());
      });
}

namespace reference {

void packed_f16_dot(const PackedF16& w, int64_t g0, int64_t g1, const float* x, int64_t i0,
                    int64_t i1, float* y, int64_t ldy) {
  const int64_t k = w.cols();
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t r = 0; r < kPackRows && g * kPackRows + r < w.rows(); ++r)
      for (int64_t i = i0; i < i1; ++i) {
        float sum = 0;
        for (int64_t j = 0; j < k; ++j)
          sum += f16_to_f32(w.group(g)[j * kPackRows + r]) * x[i * k + j];
        y[i * ldy + g * kPackRows + r] = sum;
      }
}

}  // namespace reference

}  // namespace anymal::cpu

#include "backend/cpu/packed_q8.h"

#include <algorithm>
#include <cstring>

#include "core/dtype.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

bool can_pack_q8(GgmlType type, int64_t cols) {
  return (type == GgmlType::q4_0 || type == GgmlType::q8_0) && cols > 0 && cols % 32 == 0;
}

bool packing_q8_pays() { return cpu_kernels().variant == KernelVariant::avx512; }

PackedQ8::PackedQ8(GgmlType type, const uint8_t* w, int64_t rows, int64_t cols)
    : type_(type), rows_(rows), cols_(cols) {
  ANYMAL_ASSERT(can_pack_q8(type, cols) && rows > 0);
  data_ = allocate_packed(bytes());
  const bool q4 = type == GgmlType::q4_0;
  const size_t src_block = q4 ? 18 : 34, row_bytes = ggml_row_bytes(type, cols);
  const int64_t nb = blocks(), n_chunks = q4 ? 4 : 8;
  parallel_for(groups(), 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      uint8_t* dst = data_.get() + g * nb * block_bytes();
      for (int64_t b = 0; b < nb; ++b, dst += block_bytes()) {
        std::memset(dst, 0, size_t(block_bytes()));  // padding rows: scale 0, values 0
        for (int64_t r = 0; r < kPackRows && g * kPackRows + r < rows; ++r) {
          const uint8_t* src = w + size_t(g * kPackRows + r) * row_bytes + size_t(b) * src_block;
          std::memcpy(dst + 2 * r, src, 2);
          for (int64_t c = 0; c < n_chunks; ++c)
            std::memcpy(dst + 32 + 64 * c + 4 * r, src + 2 + 4 * c, 4);
        }
      }
    }
  });
}

void packed_q8_matmul(std::span<const PackedQ8Product> products, const float* x, int64_t t,
                      ActQ8& scratch) {
  const PackedQ8& first = *products[0].w;
  for (const PackedQ8Product& p : products)
    ANYMAL_ASSERT(p.w->type() == first.type() && p.w->cols() == first.cols());
  quantize_act_q8(first.type(), x, t, first.cols(), scratch);
  const CpuKernels& kern = cpu_kernels();
  run_packed_products(
      products, t, [&](const PackedQ8Product& p, int64_t g0, int64_t g1, int64_t i0, int64_t i1) {
        kern.packed_q8_dot(*p.w, g0, g1, scratch, i0, i1, p.y, p.w->rows());
      });
}

namespace reference {

void packed_q8_dot(const PackedQ8& w, int64_t g0, int64_t g1, const ActQ8& x, int64_t i0,
                   int64_t i1, float* y, int64_t ldy) {
  const bool q4 = w.type() == GgmlType::q4_0;
  const int64_t nb = w.blocks();
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t r = 0; r < kPackRows && g * kPackRows + r < w.rows(); ++r)
      for (int64_t i = i0; i < i1; ++i) {
        const int8_t* xq = x.q.data() + i * x.k;
        float sum = 0;
        for (int64_t b = 0; b < nb; ++b) {
          const uint8_t* blk = w.group(g) + b * w.block_bytes();
          const float dw = f16_to_f32(uint16_t(blk[2 * r] | blk[2 * r + 1] << 8));
          int32_t acc = 0;
          for (int c = 0; c < (q4 ? 4 : 8); ++c)
            for (int j = 0; j < 4; ++j) {
              const uint8_t v = blk[32 + 64 * c + 4 * r + j];
              if (q4) {
                acc += ((v & 0x0F) - 8) * xq[b * 32 + 4 * c + j];
                acc += ((v >> 4) - 8) * xq[b * 32 + 16 + 4 * c + j];
              } else {
                acc += int8_t(v) * xq[b * 32 + 4 * c + j];
              }
            }
          sum += dw * x.d[size_t(i * nb + b)] * float(acc);
        }
        y[i * ldy + g * kPackRows + r] = sum;
      }
}

}  // namespace reference

}  // namespace anymal::cpu

// Activation quantization for the integer dot kernels, and their reference (plain-loop) form.
#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/reference.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace anymal::cpu {

namespace {

// The unsigned offset the SIMD kernels read a weight type's values with (see ActQ8::corr).
int32_t weight_offset(GgmlType type) { return type == GgmlType::q4_0 ? 8 : 128; }

}  // namespace

bool has_q8_dot(GgmlType type) { return type == GgmlType::q8_0 || type == GgmlType::q4_0; }

void quantize_act_q8(GgmlType type, const float* x, int64_t t, int64_t k, ActQ8& out) {
  ANYMAL_ASSERT(k % 32 == 0);
  out.t = t;
  out.k = k;
  out.q.resize(size_t(t * k));
  out.d.resize(size_t(t * k / 32));
  out.corr.resize(size_t(t * k / 4));
  out.block_corr.resize(size_t(t * k / 32));
  const int32_t offset = weight_offset(type);
  const CpuKernels& kern = cpu_kernels();
  parallel_for(t * k / 32, 256, [&](int64_t b0, int64_t b1) {
    kern.quantize_q8_blocks(x + b0 * 32, b1 - b0, offset, out.q.data() + b0 * 32, out.d.data() + b0,
                            out.corr.data() + b0 * 8, out.block_corr.data() + b0);
  });
}

namespace reference {

void quantize_q8_blocks(const float* x, int64_t n_blocks, int32_t offset, int8_t* q, float* d,
                        int32_t* corr, int32_t* block_corr) {
  for (int64_t b = 0; b < n_blocks; ++b, x += 32, q += 32) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::abs(x[j]));
    // As ggml: the scale is stored (and used in the dot) as f16, the values divided by the f32 one.
    const float db = amax / 127.0f, id = db > 0 ? 1.0f / db : 0.0f;
    d[b] = f16_to_f32(f32_to_f16(db));
    for (int j = 0; j < 32; ++j) q[j] = int8_t(std::lround(x[j] * id));
    int32_t block = 0;
    for (int g = 0; g < 8; ++g) {
      corr[b * 8 + g] = -offset * (q[4 * g] + q[4 * g + 1] + q[4 * g + 2] + q[4 * g + 3]);
      block += corr[b * 8 + g];
    }
    block_corr[b] = block;
  }
}

void q8_dot_rows(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, const ActQ8& x,
                 float* y, int64_t ldy) {
  const int64_t nb = x.k / 32;
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t i = 0; i < x.t; ++i) {
      const uint8_t* blk = w + size_t(r) * row_bytes;
      const int8_t* xq = x.q.data() + i * x.k;
      const float* xd = x.d.data() + i * nb;
      float sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const float dw = f16_to_f32(uint16_t(blk[0] | blk[1] << 8));
        int32_t acc = 0;
        if (type == GgmlType::q8_0) {
          const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
          for (int j = 0; j < 32; ++j) acc += q[j] * xq[b * 32 + j];
          blk += 34;
        } else {  // q4_0: low nibbles are elements 0-15, high nibbles 16-31, value q - 8
          for (int j = 0; j < 16; ++j) {
            acc += ((blk[2 + j] & 0x0F) - 8) * xq[b * 32 + j];
            acc += ((blk[2 + j] >> 4) - 8) * xq[b * 32 + 16 + j];
          }
          blk += 18;
        }
        sum += dw * xd[b] * float(acc);
      }
      y[i * ldy + r] = sum;
    }
}

}  // namespace reference

}  // namespace anymal::cpu

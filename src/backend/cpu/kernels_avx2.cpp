// The AVX2 variant (compiled with -mavx2 -mfma -mf16c; used only when the CPU has them).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/isa_kernels.h"
#include "core/thread_pool.h"

namespace anymal::cpu::isa_avx2 {

inline void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}
inline void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

#include "backend/cpu/vec_avx2.h"
#define ANYMAL_VEC_WIDE VecAvx2
#include "backend/cpu/kernels_isa.inc"

}  // namespace anymal::cpu::isa_avx2

namespace anymal::cpu {
const CpuKernels& kernels_avx2() { return isa_avx2::table(KernelVariant::avx2); }
}  // namespace anymal::cpu

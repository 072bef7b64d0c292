// The AVX-512 variant (compiled with -mavx512f/bw/dq/vl; used only when the CPU has them).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/isa_kernels.h"
#include "core/thread_pool.h"

namespace anymal::cpu::isa_avx512 {

inline void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(
        dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}
inline void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

#include "backend/cpu/vec_avx512.h"
#define ANYMAL_VEC_WIDE VecAvx512
#include "backend/cpu/kernels_isa.inc"

}  // namespace anymal::cpu::isa_avx512

namespace anymal::cpu {
const CpuKernels& kernels_avx512() { return isa_avx512::table(KernelVariant::avx512); }
}  // namespace anymal::cpu

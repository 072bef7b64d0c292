// The scalar variant: the fast kernels' algorithms, 1 float wide, for CPUs without AVX2.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/isa_kernels.h"
#include "core/thread_pool.h"

namespace anymal::cpu::isa_scalar {

inline void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}
inline void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

#define ANYMAL_VEC_WIDE VecScalar
#include "backend/cpu/kernels_isa.inc"

}  // namespace anymal::cpu::isa_scalar

namespace anymal::cpu {
const CpuKernels& kernels_scalar() { return isa_scalar::table(KernelVariant::scalar); }
}  // namespace anymal::cpu

// Internal to backend/cpu: the per-variant kernel tables and the shared oneDNN GEMM.
#pragma once

#include <utility>

#include "backend/cpu/kernels.h"
#include "backend/cpu/packed_bf16.h"
#include "backend/cpu/packed_f16.h"
#include "backend/cpu/packed_q8.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/reference.h"
#include "core/dtype.h"
#include "core/error.h"

namespace anymal::cpu {

const CpuKernels& kernels_reference();
const CpuKernels& kernels_scalar();
const CpuKernels& kernels_avx2();
const CpuKernels& kernels_avx512();

// GEMM through oneDNN (f32: sgemm; bf16: the matmul primitive, bf16 x bf16 -> f32).
void onednn_matmul(const MatmulParams& p, const void* a, const void* b, float* c);

}  // namespace anymal::cpu

// Kernel variant selection: CPU feature detection and the per-thread override.
#include "backend/cpu/kernels.h"

#include <algorithm>

#include "backend/cpu/isa_kernels.h"
#include "backend/cpu/quant.h"
#include "backend/cpu/reference.h"

namespace anymal::cpu {

namespace {

// Per-thread override set by KernelVariantScope (-1: none). Execution context, not shared state.
thread_local int tls_variant_override = -1;

void reference_to_f32(DType from, const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    switch (from) {
      case DType::f32:
        dst[i] = static_cast<const float*>(src)[i];
        break;
      case DType::f16:
        dst[i] = f16_to_f32(static_cast<const uint16_t*>(src)[i]);
        break;
      case DType::bf16:
        dst[i] = bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
        break;
      case DType::i32:
        dst[i] = float(static_cast<const int32_t*>(src)[i]);
        break;
    }
  }
}

void reference_from_f32(DType to, const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    switch (to) {
      case DType::f32:
        static_cast<float*>(dst)[i] = src[i];
        break;
      case DType::f16:
        static_cast<uint16_t*>(dst)[i] = f32_to_f16(src[i]);
        break;
      case DType::bf16:
        static_cast<uint16_t*>(dst)[i] = f32_to_bf16(src[i]);
        break;
      case DType::i32:
        static_cast<int32_t*>(dst)[i] = int32_t(src[i]);
        break;
    }
  }
}

}  // namespace

const CpuKernels& kernels_reference() {
  namespace r = reference;
  static const CpuKernels t{KernelVariant::reference,
                            r::binary,
                            r::unary,
                            r::unary_backward,
                            r::swiglu,
                            r::swiglu_backward,
                            r::rms_norm,
                            r::rms_norm_backward,
                            r::layer_norm,
                            r::layer_norm_backward,
                            r::softmax,
                            r::softmax_backward,
                            r::cross_entropy,
                            r::cross_entropy_backward,
                            r::attention,
                            r::attention_backward,
                            r::matmul,
                            r::quant_dot_rows,
                            r::q8_dot_rows,
                            r::bf16_dot_rows,
                            r::quantize_q8_blocks,
                            r::packed_q8_dot,
                            r::packed_f16_dot,
                            r::packed_bf16_dot,
                            dequantize_row,
                            reference_to_f32,
                            reference_from_f32,
                            r::adamw,
                            r::rope_apply};
  return t;
}

const char* variant_name(KernelVariant v) {
  switch (v) {
    case KernelVariant::reference:
      return "reference";
    case KernelVariant::scalar:
      return "scalar";
    case KernelVariant::avx2:
      return "avx2";
    case KernelVariant::avx512:
      return "avx512";
  }
  return "?";
}

bool variant_supported(KernelVariant v) {
  switch (v) {
    case KernelVariant::reference:
    case KernelVariant::scalar:
      return true;
    case KernelVariant::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case KernelVariant::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

std::vector<KernelVariant> supported_variants() {
  std::vector<KernelVariant> out;
  for (KernelVariant v : {KernelVariant::reference, KernelVariant::scalar, KernelVariant::avx2,
                          KernelVariant::avx512})
    if (variant_supported(v)) out.push_back(v);
  return out;
}

KernelVariant best_variant() {
  static const KernelVariant best = supported_variants().back();  // detected once; immutable
  return best;
}

const CpuKernels& kernels_for(KernelVariant v) {
  switch (v) {
    case KernelVariant::reference:
      return kernels_reference();
    case KernelVariant::scalar:
      return kernels_scalar();
    case KernelVariant::avx2:
      return kernels_avx2();
    case KernelVariant::avx512:
      return kernels_avx512();
  }
  return kernels_reference();
}

const CpuKernels& cpu_kernels() {
  return kernels_for(tls_variant_override >= 0 ? KernelVariant(tls_variant_override)
                                               : best_variant());
}

KernelVariantScope::KernelVariantScope(KernelVariant v) : previous_(tls_variant_override) {
  tls_variant_override = int(v);
}
KernelVariantScope::~KernelVariantScope() { tls_variant_override = previous_; }

}  // namespace anymal::cpu

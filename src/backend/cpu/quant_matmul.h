// y = x · Wᵀ with W stored in a ggml type, used in place (e.g. from a mapped GGUF file).
//   w: n_rows rows of k elements in `type` (ggml [k, n_rows]); x: [t, k] f32; y: [t, n_rows] f32.
// Inference only (no gradient). Few rows of x (decode) stream W once through fused
// dequantize-and-dot kernels (q8_0/q4_0: integer dots on x quantized to q8_0, bf16: x rounded
// to bf16, as ggml does); many rows (prefill) widen W once and run one oneDNN GEMM: f32 for
// f32/f16 weights, bf16 x bf16 -> f32 for bf16 and quantized weights. This is the path of
// matrices used as rows; where the CPU gains by it, LlamaModel re-lays its matrices for the
// packed kernels instead (cpu::PackedQ8, PackedF16, PackedBF16), which serve every t.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/cpu/kernels.h"
#include "core/ggml_types.h"

namespace anymal::cpu {

// Buffers the prefill path widens weights into, kept by the caller across calls: a fresh
// multi-megabyte allocation per matmul costs the kernel zeroing its pages every time.
struct QuantScratch {
  ActQ8 act;  // decode: the activations quantized for the integer dot kernels
  std::vector<float> f32;
  std::vector<uint16_t> bf16, x_bf16;
};

void quant_matmul(GgmlType type, const void* w, int64_t n_rows, int64_t k, const float* x,
                  int64_t t, float* y, QuantScratch& scratch);
// Same, with scratch of its own (tests, one-off calls).
void quant_matmul(GgmlType type, const void* w, int64_t n_rows, int64_t k, const float* x,
                  int64_t t, float* y);

}  // namespace anymal::cpu

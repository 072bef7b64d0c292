// ggml block quantization, reference kernels (bit-compatible with ggml-quants.c).
//
// dequantize_row: n elements of `type` (n a multiple of the block size) to f32. Supported:
// f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K, q6_K.
// quantize_row: f32 to `type`: q4_0, q4_1, q5_0, q5_1, q8_0 with ggml's reference rounding
// (byte-identical to llama-quantize), q4_K, q5_K and q6_K with ggml's scale searches
// (q4_K and q6_K checked byte-identical to llama-quantize), and the plain types. Others throw
// unsupported.
#pragma once

#include <cstdint>

#include "core/ggml_types.h"

namespace anymal::cpu {

bool can_dequantize(GgmlType type);
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);
bool can_quantize(GgmlType type);
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace anymal::cpu
